#!/usr/bin/env node
// JSON in / JSON out: verify a Verifiable Presentation with the Digital Bazaar stack
// (@digitalbazaar/vc `verify`: the holder's eddsa-rdfc-2022 `authentication` proof with the
// expected challenge and domain, then every embedded credential). Offline (loader.mjs).
//
//   node vp.mjs < {"presentation", "challenge", "domain"?, "documents"?, "contexts"?}
//     -> {"verified", "presentationVerified", "credentialsVerified", "errors"}
//
// Embedded credentials with credentialStatus are accepted without a status check (the
// harness cannot fetch lists; status interop has its own tests).
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022Cryptosuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

import {flattenErrors} from './harness.mjs';
import {createDocumentLoader} from './loader.mjs';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const input = await readStdin();
const documentLoader = createDocumentLoader({
  documents: input.documents ?? {}, contexts: input.contexts ?? {}
});
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022Cryptosuite});
let result;
try {
  result = await vc.verify({
    presentation: input.presentation,
    challenge: input.challenge,
    domain: input.domain,
    suite,
    documentLoader,
    checkStatus: async () => ({verified: true})
  });
} catch(error) {
  result = {verified: false, error};
}
const verified = result?.verified === true;
process.stdout.write(JSON.stringify({
  verified,
  presentationVerified: result?.presentationResult?.verified === true,
  credentialsVerified: (result?.credentialResults ?? []).map(r => r.verified === true),
  errors: verified ? [] : flattenErrors(result)
}) + '\n');
