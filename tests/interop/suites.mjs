#!/usr/bin/env node
// One batch of Data Integrity interop work for the suite matrix, in one Node process:
// Digital Bazaar signs with fresh keys, and verifies what our service signed.
//
//   node suites.mjs < {"sign": [SignJob, ...], "verify": [VerifyJob, ...]}
//     -> {"signed": [SignResult, ...], "verified": [VerifyResult, ...]}
//
// SignJob: {"suite": "eddsa-rdfc-2022" | "ecdsa-rdfc-2019" | "Ed25519Signature2020",
//           "curve": "P-256" | "P-384" (ecdsa only), "credential": {...unsigned...},
//           "did": "did:web:…" (optional: without it the issuer is the key's did:key),
//           "tamper": {"path": ["credentialSubject", "achievement", "name"], "value": "…"}}
//   A fresh key pair is generated for every job (Ed25519 or ECDSA on the curve). With "did",
//   the issuer's DID document ({id, verificationMethod: [the key as Multikey],
//   assertionMethod}) is made here and returned; the credential's issuer is set to the key's
//   controller. The signed credential is verified here, and so is a copy with "tamper" applied.
// SignResult: {"signed", "document" (did:web only), "verified", "tamperedVerified", "errors"}
//
// VerifyJob: {"credential": {...}, "documents": {url: document}} -> {"verified", "errors"}
//
// Offline: loader.mjs (did:key for Ed25519, P-256 and P-384; supplied documents; the pinned
// context packages). Status is not checked (these credentials carry none).
import * as vc from '@digitalbazaar/vc';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {cryptosuite as ecdsaRdfc2019Cryptosuite} from
  '@digitalbazaar/ecdsa-rdfc-2019-cryptosuite';
import {cryptosuite as eddsaRdfc2022Cryptosuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

import {flattenErrors} from './harness.mjs';
import {createDocumentLoader} from './loader.mjs';

const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function freshKey({suite, curve, did}) {
  const key = suite === 'ecdsa-rdfc-2019' ?
    await EcdsaMultikey.generate({curve}) : await Ed25519Multikey.generate();
  const {publicKeyMultibase} = key;
  const controller = did ?? `did:key:${publicKeyMultibase}`;
  key.controller = controller;
  key.id = `${controller}#${publicKeyMultibase}`;
  return key;
}

function didDocument(key) {
  return {
    '@context': ['https://www.w3.org/ns/did/v1', MULTIKEY_CONTEXT],
    id: key.controller,
    verificationMethod: [{
      id: key.id,
      type: 'Multikey',
      controller: key.controller,
      publicKeyMultibase: key.publicKeyMultibase
    }],
    assertionMethod: [key.id]
  };
}

function signingSuite(suite, key) {
  const signer = key.signer();
  if(suite === 'Ed25519Signature2020') {
    return new Ed25519Signature2020({signer});
  }
  const cryptosuite = suite === 'ecdsa-rdfc-2019' ?
    ecdsaRdfc2019Cryptosuite : eddsaRdfc2022Cryptosuite;
  return new DataIntegrityProof({signer, cryptosuite});
}

// Every suite of the matrix, for verification: the proof picks the one that matches.
function verifyingSuites() {
  return [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022Cryptosuite}),
    new DataIntegrityProof({cryptosuite: ecdsaRdfc2019Cryptosuite}),
    new Ed25519Signature2020()
  ];
}

async function verify(credential, documents) {
  const documentLoader = createDocumentLoader({documents});
  let result;
  try {
    result = await vc.verifyCredential({
      credential, suite: verifyingSuites(), documentLoader,
      checkStatus: async () => ({verified: true})
    });
  } catch(error) {
    result = {verified: false, error};
  }
  const verified = result?.verified === true;
  return {verified, errors: verified ? [] : flattenErrors(result)};
}

function tampered(credential, {path, value}) {
  const copy = structuredClone(credential);
  let node = copy;
  for(const name of path.slice(0, -1)) {
    node = node[name];
  }
  node[path[path.length - 1]] = value;
  return copy;
}

async function sign(job) {
  const key = await freshKey(job);
  const document = job.did ? didDocument(key) : undefined;
  const documents = document ? {[document.id]: document} : {};
  const unsigned = structuredClone(job.credential);
  unsigned.issuer = typeof unsigned.issuer === 'object' ?
    {...unsigned.issuer, id: key.controller} : key.controller;
  const signed = await vc.issue({
    credential: unsigned,
    suite: signingSuite(job.suite, key),
    documentLoader: createDocumentLoader({documents})
  });
  const own = await verify(signed, documents);
  const bad = await verify(tampered(signed, job.tamper), documents);
  return {
    signed, document, verified: own.verified, tamperedVerified: bad.verified,
    errors: own.errors
  };
}

const input = await readStdin();
const signed = [];
for(const job of input.sign ?? []) {
  try {
    signed.push(await sign(job));
  } catch(error) {
    signed.push({error: flattenErrors(error)});
  }
}
const verified = [];
for(const job of input.verify ?? []) {
  verified.push(await verify(job.credential, job.documents ?? {}));
}
process.stdout.write(JSON.stringify({signed, verified}) + '\n');
