#!/usr/bin/env node
// Smoke check of the interop harness against the shared OB 3.0 vectors.
//
//   node tests/interop/selfcheck.mjs [SHARED_DIR]      (from the repo root: ../shared)
//
// SHARED_DIR defaults to the `shared` folder beside the repository. Prints one
// line per check and a closing "N passed, N failed" line; exits 1 if any
// check did not give the expected result, 2 if the vectors cannot be read.
import {spawnSync} from 'node:child_process';
import {generateKeyPairSync, randomBytes} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

import {keyPairFromSeed, signCredential, verifyCredential} from './harness.mjs';
import {STATIC_CONTEXTS} from './loader.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const sharedDir = path.resolve(process.argv[2] ?? path.join(here, '..', '..', '..', 'shared'));
const vectorsDir = path.join(sharedDir, 'ob3', 'vectors');
const diCli = path.join(here, 'di.mjs');

const OB_303 = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const CLR_201 = 'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json';
// Test key of the OB implementation guide (published with its private key).
const IMPLGUIDE_SEED =
  '6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4';

function readJson(rel) {
  return JSON.parse(fs.readFileSync(path.join(vectorsDir, rel), 'utf8'));
}

if(!fs.existsSync(path.join(vectorsDir, 'README.md'))) {
  process.stderr.write(
    `selfcheck: no vectors under "${vectorsDir}"; pass the shared folder ` +
    'as the first argument (from the repository root: ../shared)\n');
  process.exit(2);
}

const mocks = readJson('mocks/controller-documents.json').documents;

// The mock file keys controller documents by controller URL and, for keys
// other than the base document's, by full method URL (each of those is a
// whole controller document with the same `id`). Pick the one that lists the
// proof's method and supply it under the controller URL, as an HTTP fetch of
// that URL would return it. When the mocks have no document listing the method
// (validator-endorsement-valid.json, validator-simple-err-proof-value.json),
// make the minimal controller document from the key in the URL fragment, which
// is what the 1EdTech validator assumes (see vectors/README.md).
function documentsFor(credential) {
  const proof = [].concat(credential.proof ?? [])[0];
  const vm = proof?.verificationMethod;
  if(typeof vm !== 'string' || vm.startsWith('did:key:')) {
    return {};
  }
  const [base, fragment] = vm.split('#');
  let doc = mocks[vm] ?? mocks[base];
  const lists = d => [].concat(d?.assertionMethod ?? []).includes(vm);
  if(!lists(doc) && /^z6Mk/.test(fragment ?? '')) {
    doc = {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: base,
      verificationMethod: [{
        id: vm, type: 'Multikey', controller: base, publicKeyMultibase: fragment
      }],
      assertionMethod: [vm]
    };
  }
  return doc ? {[base]: doc} : {};
}

function runCli(command, input) {
  const r = spawnSync(process.execPath, [diCli, command], {
    input: typeof input === 'string' ? input : JSON.stringify(input),
    encoding: 'utf8'
  });
  let output;
  try {
    output = JSON.parse(r.stdout);
  } catch {
    output = {raw: r.stdout};
  }
  return {status: r.status, output, stderr: r.stderr};
}

function minimalOb3Credential() {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', OB_303],
    id: 'urn:uuid:4f4b1c52-6d0e-4c1a-9b1e-2a7f1d0c9e11',
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: 'Interop self-check badge',
    issuer: {
      id: 'did:example:replaced-by-the-signer',
      type: ['Profile'],
      name: 'Interop self-check issuer'
    },
    validFrom: '2024-01-01T00:00:00Z',
    credentialSubject: {
      type: ['AchievementSubject'],
      achievement: {
        id: 'urn:uuid:0a2e7c5d-3b8f-4e6a-8d9c-1f2b3c4d5e6f',
        type: ['Achievement'],
        name: 'Signs credentials',
        description: 'Signs Open Badges 3.0 credentials with eddsa-rdfc-2022.',
        criteria: {narrative: 'Round trip through the JavaScript reference stack.'}
      }
    }
  };
}

const checks = [];
// expect: {verified: bool, error?: substring that some error message must contain}
function check(name, expect, run) {
  checks.push({name, expect, run});
}

const verifyVector = (rel, options = {}) => async () => {
  const credential = readJson(rel);
  return verifyCredential({
    credential, documents: documentsFor(credential), ...options
  });
};

// --- vectors named in the brief -------------------------------------------
check('ob3/dcc-obspec-example-didkey.json verifies (did:key)',
  {verified: true}, verifyVector('ob3/dcc-obspec-example-didkey.json'));
check('ob3/derived-implguide-ob.tampered-name.json fails (mock controller docs)',
  {verified: false, error: 'Invalid signature.'},
  verifyVector('ob3/derived-implguide-ob.tampered-name.json'));
check('ob3/derived-implguide-ob.tampered-name.json fails (no controller docs)',
  {verified: false, error: 'is not a known context or supplied document'},
  async () => verifyCredential({
    credential: readJson('ob3/derived-implguide-ob.tampered-name.json')
  }));
check('ob3/dcc-safe-mode-breaker.json fails (status not checked)',
  {verified: false, error: 'Relative @type reference found.'},
  verifyVector('ob3/dcc-safe-mode-breaker.json', {skipStatus: true}));
check('ob3/dcc-safe-mode-breaker.json fails (default: status required)',
  {verified: false, error: 'checkStatus'},
  verifyVector('ob3/dcc-safe-mode-breaker.json'));
check('ob3/implguide-ob-eddsa-rdfc-2022.signed.json verifies (mock controller docs)',
  {verified: true}, verifyVector('ob3/implguide-ob-eddsa-rdfc-2022.signed.json'));
check('ob3/validator-simple.json verifies (mock controller docs)',
  {verified: true}, verifyVector('ob3/validator-simple.json'));

// --- more vectors -----------------------------------------------------------
check('ob3/derived-implguide-ob.injected-undefined-term.json fails (safe mode)',
  {verified: false, error: 'Dropping property that did not expand'},
  verifyVector('ob3/derived-implguide-ob.injected-undefined-term.json'));
check('ob3/validator-simple-err-proof-value.json fails',
  {verified: false, error: 'Invalid signature.'},
  verifyVector('ob3/validator-simple-err-proof-value.json'));
check('ob3/validator-simple-err-expired.json fails (validUntil passed)',
  {verified: false, error: 'is after "validUntil"'},
  verifyVector('ob3/validator-simple-err-expired.json'));
check('ob3/validator-simple-err-not-yet-valid.json fails (validFrom ahead)',
  {verified: false, error: 'before "validFrom"'},
  verifyVector('ob3/validator-simple-err-not-yet-valid.json'));
check('ob3/dcc-not-yet-valid-didkey.json fails (validFrom ahead)',
  {verified: false, error: 'before "validFrom"'},
  verifyVector('ob3/dcc-not-yet-valid-didkey.json'));
check('ob3/validator-simple-err-not-yet-valid.json verifies with now=2041',
  {verified: true},
  verifyVector('ob3/validator-simple-err-not-yet-valid.json',
    {now: '2041-01-01T00:00:00Z'}));
check('ob3/validator-simple-context-3.0.2.json verifies',
  {verified: true}, verifyVector('ob3/validator-simple-context-3.0.2.json'));
for(const rel of [
  'ob3/spec-basic.di.json', 'ob3/spec-skill-assertion-case.di.json',
  'ob3/spec-skill-assertion-ctdl.di.json', 'ob3/spec-endorsement.di.json',
  'ob3/validator-endorsement-valid.json', 'ob3/validator-complete.json'
]) {
  // some carry a credentialStatus the harness cannot fetch: signature only
  check(`${rel} verifies (mock controller docs; status not checked)`,
    {verified: true}, verifyVector(rel, {skipStatus: true}));
}
check('ob3/spec-complete.di.json outer proof verifies (endorsements not checked)',
  {verified: true}, verifyVector('ob3/spec-complete.di.json', {skipStatus: true}));
check('ob3/validator-bitstring-revoked.credential.json signature verifies ' +
  '(status not checked)', {verified: true},
verifyVector('ob3/validator-bitstring-revoked.credential.json', {skipStatus: true}));
check('ob3/validator-simple-did-key.json fails (bare did:key VM, issuer is a urn:uuid)',
  {verified: false},
  verifyVector('ob3/validator-simple-did-key.json'));
check('ob3/validator-simple-eddsa-2022-vc11.json fails (legacy "eddsa-2022" ' +
  'cryptosuite is not loaded)', {verified: false},
verifyVector('ob3/validator-simple-eddsa-2022-vc11.json'));
for(const rel of [
  'clr2/implguide-clr-eddsa-rdfc-2022.signed.json', 'clr2/validator-clr-simple.json'
]) {
  check(`${rel} verifies (CLR 2.0.1 context passed in "contexts")`,
    {verified: true}, verifyVector(rel, {
      contexts: {[CLR_201]: readJson('contexts/clr-context-2.0.1.json')}
    }));
}

// --- context variants -------------------------------------------------------
check('npm OB 3.0.3 context == vectors/contexts/ob-context-3.0.3.json',
  {verified: true}, async () => {
    const same = JSON.stringify(STATIC_CONTEXTS.get(OB_303)) ===
      JSON.stringify(readJson('contexts/ob-context-3.0.3.json'));
    return {verified: same, errors: same ? [] : ['packaged context differs']};
  });
check('implguide vector verifies with the validator-variant 3.0.3 context',
  {verified: true}, verifyVector('ob3/implguide-ob-eddsa-rdfc-2022.signed.json', {
    contexts: {[OB_303]: readJson('contexts/ob-context-3.0.3.validator-variant.json')}
  }));

// --- signing ----------------------------------------------------------------
check('re-signing the implguide credential reproduces its proofValue exactly',
  {verified: true}, async () => {
    const vector = readJson('ob3/implguide-ob-eddsa-rdfc-2022.signed.json');
    const {proof, ...unsigned} = vector;
    const results = [];
    for(const contexts of [undefined, {
      [OB_303]: readJson('contexts/ob-context-3.0.3.validator-variant.json')
    }]) {
      const signed = await signCredential({
        credential: unsigned, seed: IMPLGUIDE_SEED,
        issuerDid: vector.issuer.id,
        verificationMethod: proof.verificationMethod,
        created: proof.created, contexts
      });
      results.push(signed.proof.proofValue);
    }
    const ok = results.every(v => v === proof.proofValue);
    return {verified: ok, errors: ok ? [] :
      [`got ${results.join(' / ')}, expected ${proof.proofValue}`]};
  });

const seed = randomBytes(32).toString('hex');
let roundTrip;
check('CLI sign: fresh seed, minimal OB 3.0 credential, did:key issuer',
  {verified: true}, async () => {
    const r = runCli('sign', {credential: minimalOb3Credential(), seed});
    const signed = r.output.signed;
    const errors = [];
    if(r.status !== 0 || !signed) {
      errors.push(`exit ${r.status}: ${JSON.stringify(r.output)} ${r.stderr}`);
    } else {
      const did = signed.issuer.id;
      const p = signed.proof;
      if(!/^did:key:z6Mk/.test(did)) {
        errors.push(`issuer.id is not a did:key: ${did}`);
      }
      if(p.verificationMethod !== `${did}#${did.slice('did:key:'.length)}`) {
        errors.push(`unexpected verificationMethod ${p.verificationMethod}`);
      }
      if(p.type !== 'DataIntegrityProof' || p.cryptosuite !== 'eddsa-rdfc-2022' ||
        p.proofPurpose !== 'assertionMethod') {
        errors.push(`unexpected proof ${JSON.stringify(p)}`);
      }
      roundTrip = signed;
    }
    return {verified: errors.length === 0, errors};
  });
check('CLI verify: the signed credential verifies', {verified: true}, async () => {
  const r = runCli('verify', {credential: roundTrip});
  return r.status === 0 ? r.output :
    {verified: false, errors: [`exit ${r.status}`]};
});
check('CLI verify: tampered achievement name fails', {verified: false,
  error: 'Invalid signature.'}, async () => {
  const tampered = structuredClone(roundTrip);
  tampered.credentialSubject.achievement.name = 'Signs anything';
  const r = runCli('verify', {credential: tampered});
  return r.status === 0 ? r.output :
    {verified: true, errors: [`exit ${r.status}`]};
});
check('CLI verify: garbage credential gives verified false, exit 0',
  {verified: false}, async () => {
    const r = runCli('verify', {credential: 'not a credential'});
    return r.status === 0 ? r.output :
      {verified: true, errors: [`exit ${r.status}`]};
  });
check('CLI misuse (stdin not JSON) exits 2', {verified: true}, async () => {
  const r = runCli('verify', 'not json');
  return {verified: r.status === 2, errors: [`exit ${r.status}`]};
});

// --- did:web controller documents (the shape the Python service publishes) ---
const DID_WEB = 'did:web:127.0.0.1%3A5000';
const didWebSeed = randomBytes(32).toString('hex');
const p256Jwk = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  .publicKey.export({format: 'jwk'});
let didWebKey;
let didWebSigned;
function didWebDocument(context, {relativeIds = false} = {}) {
  const ed = relativeIds ? '#ed' : `${DID_WEB}#ed`;
  const doc = {
    '@context': context,
    id: DID_WEB,
    verificationMethod: [
      {id: ed, type: 'Multikey', controller: DID_WEB,
        publicKeyMultibase: didWebKey.publicKeyMultibase},
      {id: `${DID_WEB}#p256`, type: 'JsonWebKey', controller: DID_WEB,
        publicKeyJwk: p256Jwk}
    ],
    assertionMethod: [ed, `${DID_WEB}#p256`],
    authentication: [ed, `${DID_WEB}#p256`]
  };
  if(context === undefined) {
    delete doc['@context'];
  }
  return doc;
}
const DID_V1 = 'https://www.w3.org/ns/did/v1';
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
const JWK_V1 = 'https://w3id.org/security/jwk/v1';
const verifyDidWeb = (doc, credential) => async () =>
  verifyCredential({credential: credential ?? didWebSigned, documents: {[DID_WEB]: doc()}});
check('did:web: sign with issuerDid + verificationMethod', {verified: true}, async () => {
  didWebKey = await keyPairFromSeed({
    seed: didWebSeed, issuerDid: DID_WEB, verificationMethod: `${DID_WEB}#ed`
  });
  didWebSigned = await signCredential({
    credential: minimalOb3Credential(), seed: didWebSeed, issuerDid: DID_WEB,
    verificationMethod: `${DID_WEB}#ed`
  });
  const ok = didWebSigned.issuer.id === DID_WEB &&
    didWebSigned.proof.verificationMethod === `${DID_WEB}#ed`;
  return {verified: ok, errors: ok ? [] : [JSON.stringify(didWebSigned.proof)]};
});
check('did:web: [did/v1, multikey/v1, jwk/v1] + Multikey + JsonWebKey verifies',
  {verified: true}, verifyDidWeb(() => didWebDocument([DID_V1, MULTIKEY_V1, JWK_V1])));
check('did:web: [did/v1] only verifies (Multikey VM gets multikey/v1)',
  {verified: true}, verifyDidWeb(() => didWebDocument([DID_V1])));
check('did:web: tampered credential fails', {verified: false, error: 'Invalid signature.'},
  async () => {
    const tampered = structuredClone(didWebSigned);
    tampered.name = 'Tampered';
    return verifyCredential({
      credential: tampered,
      documents: {[DID_WEB]: didWebDocument([DID_V1, MULTIKEY_V1, JWK_V1])}
    });
  });
check('did:web: relative method ids ("#ed") fail', {verified: false, error: 'not found'},
  verifyDidWeb(() => didWebDocument([DID_V1, MULTIKEY_V1, JWK_V1], {relativeIds: true})));
check('did:web: did/v1 not first => JSON-LD framing => jwk/v1 must load (fails offline)',
  {verified: false, error: JWK_V1},
  verifyDidWeb(() => didWebDocument([MULTIKEY_V1, DID_V1, JWK_V1])));
check('did:web: no @context fails (framing in safe mode)',
  {verified: false, error: 'Safe mode validation error'},
  verifyDidWeb(() => didWebDocument(undefined)));

// --- run ----------------------------------------------------------------------
let passed = 0;
let failed = 0;
for(const {name, expect, run} of checks) {
  let result;
  try {
    result = await run();
  } catch(error) {
    result = {verified: null, errors: [`threw: ${error?.stack ?? error}`]};
  }
  let ok = result.verified === expect.verified;
  if(ok && expect.error) {
    ok = result.errors.some(m => m.includes(expect.error));
  }
  ok ? passed++ : failed++;
  const detail = result.verified ? '' : ` :: ${result.errors.join(' | ')}`;
  process.stdout.write(
    `${ok ? 'PASS' : 'FAIL'} ${name} -> verified=${result.verified}${detail}\n`);
}
process.stdout.write(`selfcheck: ${passed} passed, ${failed} failed\n`);
process.exitCode = failed ? 1 : 0;
