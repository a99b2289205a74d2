#!/usr/bin/env node
// JSON in / JSON out CLI around the Digital Bazaar ecdsa-sd-2023 cryptosuite
// (selective disclosure, P-256). No network: contexts come from loader.mjs;
// did:key P-256 (zDn…) DIDs are resolved here, from the key itself.
//
//   node sd.mjs issue  < {"credential", "mandatoryPointers", "selectivePointers"}
//       -> {"issuer", "base", "derived"}   (a FRESH P-256 key each run)
//   node sd.mjs verify < {"credential"}     -> {"verified", "errors"}
//   node sd.mjs confirm < {"credential"}    -> {"verified", "errors"}
//
// `issue` signs a base proof over `credential` (its issuer is set to the new
// did:key), then derives a disclosure of `selectivePointers` (the mandatory
// pointers are always disclosed). `verify` checks a derived credential with
// @digitalbazaar/vc (its verify suite reads derived proofs only); `confirm`
// checks a base proof the way a holder does (the library's confirm suite).
// Exit status: 0 when a result was printed; 2 for misuse.
import * as vc from '@digitalbazaar/vc';
import * as didKey from '@digitalbazaar/did-method-key';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as ecdsaSd2023Cryptosuite from
  '@digitalbazaar/ecdsa-sd-2023-cryptosuite';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';

import {flattenErrors} from './harness.mjs';
import {createDocumentLoader} from './loader.mjs';

const {
  createSignCryptosuite, createDiscloseCryptosuite, createVerifyCryptosuite,
  createConfirmCryptosuite
} = ecdsaSd2023Cryptosuite;

const p256Driver = didKey.driver();
p256Driver.use({
  multibaseMultikeyHeader: 'zDna',
  fromMultibase: EcdsaMultikey.from
});

function documentLoader() {
  const base = createDocumentLoader();
  return async url => {
    if(typeof url === 'string' && url.startsWith('did:key:zDn')) {
      const document = await p256Driver.get({url});
      return {contextUrl: null, documentUrl: url, document};
    }
    return base(url);
  };
}

function print(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function readInput() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  if(input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TypeError('stdin must be a JSON object.');
  }
  return input;
}

async function issue({credential, mandatoryPointers = [], selectivePointers = []}) {
  const generated = await EcdsaMultikey.generate({curve: 'P-256'});
  const controller = `did:key:${generated.publicKeyMultibase}`;
  const exported = await generated.export({publicKey: true, secretKey: true});
  const keyPair = await EcdsaMultikey.from({
    ...exported, controller,
    id: `${controller}#${generated.publicKeyMultibase}`
  });
  const unsigned = structuredClone(credential);
  if(unsigned.issuer !== null && typeof unsigned.issuer === 'object') {
    unsigned.issuer.id = controller;
  } else {
    unsigned.issuer = controller;
  }
  const loader = documentLoader();
  const base = await vc.issue({
    credential: unsigned,
    suite: new DataIntegrityProof({
      signer: keyPair.signer(),
      cryptosuite: createSignCryptosuite({mandatoryPointers})
    }),
    documentLoader: loader
  });
  const derived = await vc.derive({
    verifiableCredential: base,
    suite: new DataIntegrityProof({
      cryptosuite: createDiscloseCryptosuite({selectivePointers})
    }),
    documentLoader: loader
  });
  return {issuer: controller, base, derived};
}

async function verify({credential}, cryptosuite) {
  let result;
  try {
    result = await vc.verifyCredential({
      credential,
      suite: new DataIntegrityProof({cryptosuite}),
      documentLoader: documentLoader(),
      checkStatus: async () => ({verified: true})
    });
  } catch(error) {
    return {verified: false, errors: flattenErrors(error)};
  }
  const verified = result?.verified === true;
  return {verified, errors: verified ? [] : flattenErrors(result)};
}

const command = process.argv[2];
try {
  const input = await readInput();
  if(command === 'issue') {
    print(await issue(input));
  } else if(command === 'verify') {
    print(await verify(input, createVerifyCryptosuite()));
  } else if(command === 'confirm') {
    print(await verify(input, createConfirmCryptosuite()));
  } else {
    throw new TypeError('usage: node sd.mjs issue|verify|confirm < input.json');
  }
} catch(error) {
  process.stderr.write(`sd.mjs: ${error.stack ?? error}\n`);
  print({error: String(error.message ?? error)});
  process.exitCode = 2;
}
