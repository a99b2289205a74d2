#!/usr/bin/env node
// The Digital Bazaar reference stack on a batch of small credentials, each
// signed with its own Ed25519 key (issuer = that key's did:key), for
// bench/small.py:
//
//   node bench/js/small-bench.mjs sign --count 200 < {"credential": {...}}
//     -> {"signed": [...]}   (distinct ids, achievement ids and keys)
//   node bench/js/small-bench.mjs verify < {"signed": [...]}
//     -> {"verify_per_s": ..., "verify_per_cpu_s": ..., "count": ..., ...}
//
// `verify` warms up on a few credentials signed here with other keys (JIT,
// context cache), then times the verification of every given credential.
import {createHash} from 'node:crypto';
import {fileURLToPath} from 'node:url';
import {performance} from 'node:perf_hooks';

import {
  keyPairFromSeed, signCredential, verifyCredential, UsageError
} from '../../tests/interop/harness.mjs';
import {libraryVersions} from '../../tests/interop/loader.mjs';

function seed(label) {
  return createHash('sha256').update(`skill-passport small bench/${label}`).digest('hex');
}

// A distinct copy: the credential's and the achievement's ids and names carry `i`.
function variant(credential, i) {
  const copy = structuredClone(credential);
  copy.id = `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const achievement = copy.credentialSubject?.achievement;
  if(achievement && typeof achievement === 'object') {
    achievement.id = `${achievement.id}-${i}`;
    achievement.name = `${achievement.name} #${i}`;
  }
  return copy;
}

async function signAll(credential, count, label) {
  const signed = [];
  for(let i = 0; i < count; i++) {
    const keyPair = await keyPairFromSeed({seed: seed(`${label}/${i}`)});
    signed.push(await signCredential({credential: variant(credential, i), keyPair}));
  }
  return signed;
}

function round(x) {
  return Math.round(x * 10) / 10;
}

async function verifyAll(signed) {
  if(!Array.isArray(signed) || signed.length === 0) {
    throw new UsageError('"signed" must be a non-empty list of credentials.');
  }
  // warm-up on credentials of other keys: JIT, jsonld context cache
  const template = structuredClone(signed[0]);
  delete template.proof;
  for(const credential of await signAll(template, 10, 'warm-up')) {
    const result = await verifyCredential({credential});
    if(!result.verified) {
      throw new Error(`warm-up verification failed: ${result.errors.join('; ')}`);
    }
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let failures = 0;
  let firstError;
  for(const credential of signed) {
    const result = await verifyCredential({credential});
    if(!result.verified) {
      failures++;
      firstError ??= result.errors.join('; ');
    }
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if(failures) {
    throw new Error(`${failures}/${signed.length} credentials failed to verify: ${firstError}`);
  }
  return {
    verify_per_s: round(signed.length / (ms / 1000)),
    verify_per_cpu_s: round(signed.length / (cpuMs / 1000)),
    count: signed.length,
    verify_ms_total: round(ms),
    verify_cpu_ms_total: round(cpuMs),
    node: process.version,
    libs: libraryVersions()
  };
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  let count = 200;
  for(let i = 0; i < args.length; i++) {
    if(args[i] === '--count') {
      count = Number(args[++i]);
    } else {
      process.stderr.write(`small-bench: unknown option "${args[i]}"\n`);
      process.exit(2);
    }
  }
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  try {
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    let result;
    if(mode === 'sign') {
      if(!Number.isInteger(count) || count < 1) {
        throw new UsageError('count must be a positive integer.');
      }
      result = {signed: await signAll(input.credential, count, 'batch')};
    } else if(mode === 'verify') {
      result = await verifyAll(input.signed);
    } else {
      throw new UsageError('mode must be "sign" or "verify".');
    }
    process.stdout.write(JSON.stringify(result) + '\n');
  } catch(error) {
    process.stderr.write(`small-bench: ${error?.message ?? error}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}

if(process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
