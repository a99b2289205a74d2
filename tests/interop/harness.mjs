// Sign and verify Verifiable Credentials with Data Integrity eddsa-rdfc-2022
// proofs, using only the Digital Bazaar reference libraries and the offline
// document loader in loader.mjs. Shared by di.mjs, selfcheck.mjs and the
// benchmark in bench/js/.
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022Cryptosuite} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

import {createDocumentLoader} from './loader.mjs';

/** Raised for caller mistakes (bad seed, bad option types), not bad credentials. */
export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parses a hex Ed25519 seed (32 bytes, 64 hex digits). */
export function parseSeed(seedHex) {
  if(typeof seedHex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(seedHex)) {
    throw new UsageError('"seed" must be a hex string of 32 bytes (64 hex digits).');
  }
  return Uint8Array.from(Buffer.from(seedHex, 'hex'));
}

/**
 * Builds the Ed25519 Multikey key pair for a seed.
 *
 * Without `issuerDid` the controller is the did:key of the public key and the
 * verification method is `did:key:z6Mk…#z6Mk…`. With `issuerDid` the
 * controller is that DID and the method is `verificationMethod` if given,
 * else `<issuerDid>#<publicKeyMultibase>`.
 */
export async function keyPairFromSeed({seed, issuerDid, verificationMethod}) {
  const seedBytes = typeof seed === 'string' ? parseSeed(seed) : seed;
  const probe = await Ed25519Multikey.generate({seed: seedBytes});
  const {publicKeyMultibase} = probe;
  let controller;
  let id;
  if(issuerDid === undefined || issuerDid === null) {
    controller = `did:key:${publicKeyMultibase}`;
    id = `${controller}#${publicKeyMultibase}`;
  } else {
    if(typeof issuerDid !== 'string' || issuerDid === '') {
      throw new UsageError('"issuerDid" must be a non-empty string.');
    }
    controller = issuerDid;
    id = verificationMethod ?? `${controller}#${publicKeyMultibase}`;
    if(typeof id !== 'string') {
      throw new UsageError('"verificationMethod" must be a string.');
    }
  }
  return Ed25519Multikey.generate({seed: seedBytes, controller, id});
}

function _setIssuer(credential, issuerId) {
  const out = structuredClone(credential);
  if(out.issuer !== null && typeof out.issuer === 'object' &&
    !Array.isArray(out.issuer)) {
    out.issuer = {...out.issuer, id: issuerId};
  } else {
    out.issuer = issuerId;
  }
  return out;
}

/**
 * Signs an unsigned credential with an eddsa-rdfc-2022 DataIntegrityProof,
 * proofPurpose assertionMethod. The issuer (string, or `issuer.id`) is set to
 * the key's controller.
 *
 * @returns {Promise<object>} The signed credential.
 */
export async function signCredential({
  credential, seed, issuerDid, verificationMethod, created, documents,
  contexts, keyPair
}) {
  if(credential === null || typeof credential !== 'object' ||
    Array.isArray(credential)) {
    throw new UsageError('"credential" must be a JSON object.');
  }
  const key = keyPair ??
    await keyPairFromSeed({seed, issuerDid, verificationMethod});
  const unsigned = _setIssuer(credential, key.controller);
  const suite = new DataIntegrityProof({
    signer: key.signer(),
    cryptosuite: eddsaRdfc2022Cryptosuite,
    ...(created === undefined ? {} : {date: created})
  });
  const documentLoader = createDocumentLoader({documents, contexts});
  return vc.issue({credential: unsigned, suite, documentLoader});
}

/**
 * Verifies a signed credential (signature, proof purpose assertionMethod,
 * verification method authorized by its controller, controller == issuer,
 * validFrom/validUntil against `now`). JSON-LD safe mode stays on.
 *
 * `skipStatus`: a credential with `credentialStatus` fails unless this is
 * true (the harness cannot fetch status lists); when true, status is not checked.
 *
 * @returns {Promise<{verified: boolean, errors: string[]}>}
 */
export async function verifyCredential({
  credential, documents, contexts, now, skipStatus = false
}) {
  let documentLoader;
  try {
    documentLoader = createDocumentLoader({documents, contexts});
  } catch(e) {
    throw new UsageError(e.message);
  }
  if(credential === null || typeof credential !== 'object' ||
    Array.isArray(credential)) {
    return {verified: false, errors: ['"credential" must be a JSON object.']};
  }
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022Cryptosuite});
  const options = {credential, suite, documentLoader};
  if(now !== undefined) {
    options.now = now;
  }
  if(skipStatus) {
    options.checkStatus = async () => ({verified: true});
  }
  let result;
  try {
    result = await vc.verifyCredential(options);
  } catch(error) {
    // the libraries report errors in the result; this is a last resort
    return {verified: false, errors: flattenErrors(error)};
  }
  const verified = result?.verified === true;
  const errors = verified ? [] : flattenErrors(result);
  if(!verified && errors.length === 0) {
    errors.push('Verification failed (no error message given).');
  }
  return {verified, errors};
}

/**
 * Collects every error message in a verification result or error, depth
 * first, without duplicates: `error`, `error.errors[]`, `results[].error`,
 * `results[].purposeResult.error`, `statusResult.error`, `cause`.
 */
export function flattenErrors(value) {
  const messages = [];
  const seen = new Set();
  const visit = (node, depth) => {
    if(node === null || node === undefined || depth > 8 || seen.has(node)) {
      return;
    }
    if(typeof node !== 'object') {
      messages.push(String(node));
      return;
    }
    seen.add(node);
    if(node instanceof Error || typeof node.message === 'string') {
      const name = node.name && node.name !== 'Error' ? `${node.name}: ` : '';
      if(!(node.name === 'VerificationError' && Array.isArray(node.errors))) {
        messages.push(`${name}${node.message}`);
      }
      if(node.details?.event?.message) {
        messages.push(`${node.details.event.code ?? 'event'}: ` +
          node.details.event.message);
      }
    }
    for(const child of [].concat(node.errors ?? [])) {
      visit(child, depth + 1);
    }
    visit(node.error, depth + 1);
    for(const r of [].concat(node.results ?? [])) {
      visit(r?.error, depth + 1);
      visit(r?.purposeResult?.error, depth + 1);
    }
    visit(node.statusResult?.error, depth + 1);
    visit(node.cause, depth + 1);
    visit(node.details?.cause, depth + 1);
  };
  visit(value, 0);
  return [...new Set(messages)];
}
