#!/usr/bin/env node
// The Learner Credential Wallet's DIDAuth presentation, made the way the wallet makes it
// (learner-credential-wallet app/lib/exchanges.ts: `createPresentation({holder})`, then
// `signPresentation({presentation, challenge, domain, suite: new Ed25519Signature2020({key})})`
// with its did:key), by the Digital Bazaar libraries the wallet's own forks come from.
//
//   node lcw_didauth.mjs < {"challenge", "domain"?, "seed"?: hex32, "holder"?: did,
//                            "version"?: 1 | 2}
//     -> {"presentation", "did"}
//
// "seed" fixes the key (else a fresh one); "holder" names another holder than the key's own
// did:key (a presentation signed by a key that is not its holder's). "version" 1 (default:
// the wallet's @digitalcredentials/vc makes VC 1.1 presentations) or 2. Offline (loader.mjs).
import * as vc from '@digitalbazaar/vc';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from
  '@digitalbazaar/ed25519-verification-key-2020';

import {createDocumentLoader} from './loader.mjs';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const input = await readStdin();
const seed = input.seed ? Uint8Array.from(Buffer.from(input.seed, 'hex')) : undefined;
const key = await Ed25519VerificationKey2020.generate(seed ? {seed} : {});
const did = `did:key:${key.fingerprint()}`;
key.controller = did;
key.id = `${did}#${key.fingerprint()}`;
const presentation = vc.createPresentation({
  holder: input.holder ?? did, version: input.version === 2 ? 2.0 : 1.0
});
const signed = await vc.signPresentation({
  presentation,
  suite: new Ed25519Signature2020({key}),
  challenge: input.challenge,
  domain: input.domain,
  documentLoader: createDocumentLoader({})
});
process.stdout.write(JSON.stringify({presentation: signed, did}) + '\n');
