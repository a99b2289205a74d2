#!/usr/bin/env node
// JSON in / JSON out CLI around the Digital Bazaar Data Integrity libraries
// (eddsa-rdfc-2022). No network: see loader.mjs. Usage: see README.md.
//
//   node di.mjs sign    < {"credential", "seed", "issuerDid"?, ...}  -> {"signed"}
//   node di.mjs verify  < {"credential", "documents"?, ...}          -> {"verified", "errors"}
//   node di.mjs bench --count N < {"credential", "seed"}             -> {"sign_per_s", ...}
//
// Exit status: 0 when a result was printed (including "verified": false);
// 2 for harness misuse (unknown command, stdin not a JSON object, missing or
// ill-typed fields), with {"error": "..."} on stdout and the message on stderr.
import {
  flattenErrors, signCredential, verifyCredential, UsageError
} from './harness.mjs';

const USAGE = 'usage: node di.mjs sign|verify|bench [--count N] < input.json';

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function misuse(message) {
  process.stderr.write(`di.mjs: ${message}\n${USAGE}\n`);
  print({error: message});
  process.exitCode = 2;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readInput() {
  const text = await readStdin();
  let input;
  try {
    input = JSON.parse(text);
  } catch(e) {
    throw new UsageError(`stdin is not valid JSON: ${e.message}`);
  }
  if(input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new UsageError('stdin must be a JSON object.');
  }
  return input;
}

function optionalObject(input, name) {
  const value = input[name];
  if(value === undefined || value === null) {
    return undefined;
  }
  if(typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`"${name}" must be a JSON object.`);
  }
  return value;
}

async function cmdSign() {
  const input = await readInput();
  if(!('credential' in input)) {
    throw new UsageError('"credential" is required.');
  }
  if(!('seed' in input)) {
    throw new UsageError('"seed" is required.');
  }
  const signed = await signCredential({
    credential: input.credential,
    seed: input.seed,
    issuerDid: input.issuerDid ?? undefined,
    verificationMethod: input.verificationMethod ?? undefined,
    created: input.created ?? undefined,
    documents: optionalObject(input, 'documents'),
    contexts: optionalObject(input, 'contexts')
  });
  print({signed});
}

async function cmdVerify() {
  const input = await readInput();
  if(!('credential' in input)) {
    throw new UsageError('"credential" is required.');
  }
  const result = await verifyCredential({
    credential: input.credential,
    documents: optionalObject(input, 'documents'),
    contexts: optionalObject(input, 'contexts'),
    now: input.now ?? undefined,
    skipStatus: input.skipStatus === true
  });
  print(result);
}

async function cmdBench(args) {
  let count = 200;
  for(let i = 0; i < args.length; i++) {
    if(args[i] === '--count') {
      count = Number(args[++i]);
    } else if(args[i].startsWith('--count=')) {
      count = Number(args[i].slice('--count='.length));
    } else {
      throw new UsageError(`unknown option "${args[i]}".`);
    }
  }
  if(!Number.isInteger(count) || count < 1) {
    throw new UsageError('--count must be a positive integer.');
  }
  const input = await readInput();
  const {runBench} = await import('../../bench/js/di-bench.mjs');
  print(await runBench({
    credential: input.credential, seed: input.seed, count
  }));
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  try {
    if(command === 'sign' && args.length === 0) {
      await cmdSign();
    } else if(command === 'verify' && args.length === 0) {
      await cmdVerify();
    } else if(command === 'bench') {
      await cmdBench(args);
    } else {
      throw new UsageError(
        command ? `unknown command or arguments: ${process.argv.slice(2).join(' ')}` :
          'no command given.');
    }
  } catch(error) {
    if(error instanceof UsageError) {
      misuse(error.message);
    } else if(command === 'verify') {
      // never crash on bad input to verify: report it as a failed verification
      print({verified: false, errors: [error?.message ?? String(error)]});
    } else {
      // signing a malformed credential (e.g. an undefined term in safe mode)
      process.stderr.write(`di.mjs: ${error?.stack ?? error}\n`);
      print({error: error?.message ?? String(error), errors: flattenErrors(error)});
      process.exitCode = 1;
    }
  }
}

await main();
