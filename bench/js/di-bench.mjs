#!/usr/bin/env node
// Benchmark of the Digital Bazaar reference stack (JavaScript) for Data
// Integrity eddsa-rdfc-2022: signs N distinct copies of a credential, then
// verifies them all, timing each phase separately after a warm-up.
//
//   node bench/js/di-bench.mjs --count 200 < {"credential": {...}, "seed": "<hex>"}
//   node bench/js/di-bench.mjs --count 200 < /dev/null   (empty stdin: a built-in
//     minimal OB 3.0 credential and a fixed test seed)
//   (also reachable as: node tests/interop/di.mjs bench --count 200 < ...)
//
// The libraries are installed in tests/interop/node_modules (see
// tests/interop/README.md); this file imports them through the harness there.
import {randomUUID} from 'node:crypto';
import {fileURLToPath} from 'node:url';
import {performance} from 'node:perf_hooks';

import {
  keyPairFromSeed, signCredential, verifyCredential, UsageError
} from '../../tests/interop/harness.mjs';
import {libraryVersions} from '../../tests/interop/loader.mjs';

// A distinct copy: new `id`, and a numbered `name` when the credential has one.
function variant(credential, i) {
  const copy = structuredClone(credential);
  copy.id = `urn:uuid:${randomUUID()}`;
  if(typeof copy.name === 'string') {
    copy.name = `${copy.name} #${i}`;
  }
  return copy;
}

// Used when stdin is empty: a minimal Open Badges 3.0 credential, and a fixed
// seed (benchmark use only; any 32 bytes will do).
export const DEFAULT_INPUT = {
  credential: {
    '@context': [
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'
    ],
    id: 'urn:uuid:00000000-0000-4000-8000-000000000000',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: 'Benchmark badge',
    issuer: {id: 'did:example:replaced', type: ['Profile'], name: 'Benchmark issuer'},
    validFrom: '2024-01-01T00:00:00Z',
    credentialSubject: {
      type: ['AchievementSubject'],
      achievement: {
        id: 'urn:uuid:00000000-0000-4000-8000-000000000001',
        type: ['Achievement'],
        name: 'Benchmark achievement',
        description: 'A credential used to time signing and verification.',
        criteria: {narrative: 'None: benchmark data.'}
      }
    }
  },
  seed: '42'.repeat(32)
};

function round(x) {
  return Math.round(x * 10) / 10;
}

/**
 * @returns {Promise<object>} {sign_per_s, verify_per_s, count, node, libs, ...}
 */
export async function runBench({credential, seed, count = 200, warmup}) {
  if(credential === null || typeof credential !== 'object' ||
    Array.isArray(credential)) {
    throw new UsageError('"credential" must be a JSON object.');
  }
  if(!Number.isInteger(count) || count < 1) {
    throw new UsageError('count must be a positive integer.');
  }
  const keyPair = await keyPairFromSeed({seed});
  const warm = warmup ?? Math.min(20, count);

  // warm-up: JIT, jsonld context cache, key import
  for(let i = 0; i < warm; i++) {
    const signed = await signCredential({
      credential: variant(credential, -1 - i), keyPair
    });
    const result = await verifyCredential({credential: signed});
    if(!result.verified) {
      throw new Error(`warm-up verification failed: ${result.errors.join('; ')}`);
    }
  }

  const unsigned = Array.from({length: count}, (_, i) => variant(credential, i));
  const signed = new Array(count);
  let t0 = performance.now();
  for(let i = 0; i < count; i++) {
    signed[i] = await signCredential({credential: unsigned[i], keyPair});
  }
  const signMs = performance.now() - t0;

  t0 = performance.now();
  let failures = 0;
  let firstError;
  for(let i = 0; i < count; i++) {
    const result = await verifyCredential({credential: signed[i]});
    if(!result.verified) {
      failures++;
      firstError ??= result.errors.join('; ');
    }
  }
  const verifyMs = performance.now() - t0;
  if(failures) {
    throw new Error(`${failures}/${count} signed copies failed to verify: ${firstError}`);
  }
  const distinct = new Set(signed.map(s => s.proof.proofValue)).size;

  return {
    sign_per_s: round(count / (signMs / 1000)),
    verify_per_s: round(count / (verifyMs / 1000)),
    count,
    warmup: warm,
    distinct_signatures: distinct,
    sign_ms_total: round(signMs),
    verify_ms_total: round(verifyMs),
    node: process.version,
    libs: libraryVersions()
  };
}

async function main() {
  let count = 200;
  const args = process.argv.slice(2);
  for(let i = 0; i < args.length; i++) {
    if(args[i] === '--count') {
      count = Number(args[++i]);
    } else if(args[i].startsWith('--count=')) {
      count = Number(args[i].slice('--count='.length));
    } else {
      process.stderr.write(`di-bench: unknown option "${args[i]}"\n`);
      process.exit(2);
    }
  }
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let input = DEFAULT_INPUT;
  try {
    if(text.trim() !== '') {
      input = JSON.parse(text);
    }
  } catch(e) {
    process.stderr.write(`di-bench: stdin is not valid JSON: ${e.message}\n`);
    process.exit(2);
  }
  try {
    const result = await runBench({
      credential: input?.credential, seed: input?.seed, count
    });
    process.stdout.write(JSON.stringify(result) + '\n');
  } catch(error) {
    process.stderr.write(`di-bench: ${error?.message ?? error}\n`);
    process.stdout.write(JSON.stringify({error: error?.message ?? String(error)}) + '\n');
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

if(process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
