#!/usr/bin/env node
// A wallet built on @openid4vc/openid4vci (the library behind Credo and several EU wallets),
// driven by tests/oid4vci/test_oid4vci_client.py against our issuer on loopback.
// JSON in (stdin) / JSON out (stdout). Only the library speaks OpenID4VCI: this file supplies
// what a wallet supplies — keys and signatures (WebCrypto), hashing, randomness.
//
//   node wallet.mjs pre-authorized < {offer, txCode?, keys: [...], configurations: [...]}
//       -> {offer, issuerMetadata, token, results: [{configuration, key, holder, credential
//           | transactionId, deferred?}]}
//   node wallet.mjs authorize < {offer, clientId, redirectUri}
//       -> {authorizationRequestUrl, pkceCodeVerifier, credentialOffer}
//   node wallet.mjs redeem-code < {credentialOffer, clientId, redirectUri, code,
//       pkceCodeVerifier, keys, configurations} -> {token, results}
//
// keys: "ed25519-did-key" (kid = did:key DID URL), "p256-did-jwk" (kid = did:jwk#0),
// "p256-jwk" (the bare JWK in the proof header).
import {webcrypto} from 'node:crypto';

import {
  clientAuthenticationAnonymous, clientAuthenticationNone, HashAlgorithm, setGlobalConfig
} from '@openid4vc/oauth2';
import {Openid4vciClient} from '@openid4vc/openid4vci';

// Our issuer runs on http://127.0.0.1 in the tests; nowhere else is http allowed.
setGlobalConfig({allowInsecureUrls: true});

const subtle = webcrypto.subtle;
const b64u = bytes => Buffer.from(bytes).toString('base64url');
const enc = new TextEncoder();

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58btc(bytes) {
  let n = BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
  let out = '';
  while(n > 0n) {
    out = B58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for(const b of bytes) {
    if(b !== 0) {
      break;
    }
    out = '1' + out;
  }
  return out;
}

async function makeKey(kind) {
  if(kind === 'ed25519-did-key') {
    const pair = await subtle.generateKey({name: 'Ed25519'}, true, ['sign', 'verify']);
    const jwk = await subtle.exportKey('jwk', pair.publicKey);
    const raw = Buffer.from(jwk.x, 'base64url');
    // did:key: multicodec ed25519-pub (0xed 0x01) + the 32-byte key, base58btc ("z").
    const did = 'did:key:z' + base58btc(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
    return {
      kind, alg: 'EdDSA', did, privateKey: pair.privateKey,
      publicJwk: {kty: 'OKP', crv: 'Ed25519', x: jwk.x},
      signer: {method: 'did', didUrl: `${did}#${did.slice('did:key:'.length)}`, alg: 'EdDSA'}
    };
  }
  const pair = await subtle.generateKey(
    {name: 'ECDSA', namedCurve: 'P-256'}, true, ['sign', 'verify']);
  const jwk = await subtle.exportKey('jwk', pair.publicKey);
  const publicJwk = {crv: 'P-256', kty: 'EC', x: jwk.x, y: jwk.y};
  const did = 'did:jwk:' + b64u(enc.encode(JSON.stringify(publicJwk)));
  const signer = kind === 'p256-did-jwk' ?
    {method: 'did', didUrl: `${did}#0`, alg: 'ES256'} :
    {method: 'jwk', publicJwk, alg: 'ES256'};
  return {kind, alg: 'ES256', did, privateKey: pair.privateKey, publicJwk, signer};
}

function callbacks(keys, clientId) {
  return {
    fetch,
    hash: async (data, alg) => {
      const name = {[HashAlgorithm.Sha256]: 'SHA-256', [HashAlgorithm.Sha384]: 'SHA-384',
        [HashAlgorithm.Sha512]: 'SHA-512'}[alg];
      return new Uint8Array(await subtle.digest(name, data));
    },
    generateRandom: n => webcrypto.getRandomValues(new Uint8Array(n)),
    clientAuthentication: clientId ?
      clientAuthenticationNone({clientId}) : clientAuthenticationAnonymous(),
    signJwt: async (signer, {header, payload}) => {
      const key = keys.find(k => (signer.method === 'did' && k.signer.didUrl === signer.didUrl) ||
        (signer.method === 'jwk' && k.signer.method === 'jwk' &&
          k.publicJwk.x === signer.publicJwk.x));
      if(!key) {
        throw new Error(`no key for signer ${JSON.stringify(signer)}`);
      }
      const input = `${b64u(enc.encode(JSON.stringify(header)))}.` +
        b64u(enc.encode(JSON.stringify(payload)));
      const algorithm = key.alg === 'EdDSA' ?
        {name: 'Ed25519'} : {name: 'ECDSA', hash: 'SHA-256'};
      const signature = await subtle.sign(algorithm, key.privateKey, enc.encode(input));
      return {jwt: `${input}.${b64u(new Uint8Array(signature))}`, signerJwk: key.publicJwk};
    }
  };
}

async function fetchCredentials(client, issuerMetadata, accessToken, keys, configurations,
  clientId) {
  const results = [];
  for(const configuration of configurations) {
    for(const key of keys) {
      const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
      const proof = await client.createCredentialRequestJwtProof({
        issuerMetadata, credentialConfigurationId: configuration, signer: key.signer, nonce,
        clientId
      });
      const response = await client.retrieveCredentials({
        issuerMetadata, accessToken, credentialConfigurationId: configuration,
        proofs: {jwt: [proof.jwt]}
      });
      const body = response.credentialResponse;
      const result = {configuration, key: key.kind, holder: key.did};
      if(body.transaction_id) {
        result.transactionId = body.transaction_id;
        result.interval = body.interval;
        // Poll the deferred endpoint as a wallet would (the test's worker signs meanwhile).
        for(let i = 0; i < 40; i++) {
          const deferred = await client.retrieveDeferredCredentials({
            issuerMetadata, accessToken, transactionId: body.transaction_id
          });
          const later = deferred.deferredCredentialResponse;
          if(later.credentials) {
            result.credential = later.credentials[0].credential;
            result.deferredPolls = i + 1;
            break;
          }
          await new Promise(resolve => setTimeout(resolve, 250));
        }
      } else {
        result.credential = body.credentials[0].credential;
      }
      results.push(result);
    }
  }
  return results;
}

async function preAuthorized(input) {
  const keys = await Promise.all(input.keys.map(makeKey));
  const client = new Openid4vciClient({callbacks: callbacks(keys)});
  const credentialOffer = await client.resolveCredentialOffer(input.offer);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, txCode: input.txCode
  });
  const results = await fetchCredentials(client, issuerMetadata,
    accessTokenResponse.access_token, keys, input.configurations);
  return {
    offer: credentialOffer,
    issuerMetadata: {
      credentialIssuer: issuerMetadata.credentialIssuer,
      authorizationServers: issuerMetadata.authorizationServers
    },
    token: accessTokenResponse,
    results
  };
}

async function authorize(input) {
  const client = new Openid4vciClient({callbacks: callbacks([], input.clientId)});
  const credentialOffer = await client.resolveCredentialOffer(input.offer);
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const started = await client.initiateAuthorization({
    credentialOffer, issuerMetadata, clientId: input.clientId, redirectUri: input.redirectUri,
    scope: input.scope
  });
  return {
    flow: started.authorizationFlow,
    authorizationRequestUrl: started.authorizationRequestUrl,
    pkceCodeVerifier: started.pkce?.codeVerifier,
    credentialOffer
  };
}

async function redeemCode(input) {
  const keys = await Promise.all(input.keys.map(makeKey));
  const client = new Openid4vciClient({callbacks: callbacks(keys, input.clientId)});
  const credentialOffer = input.credentialOffer;
  const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const {accessTokenResponse} = await client.retrieveAuthorizationCodeAccessTokenFromOffer({
    credentialOffer, issuerMetadata, authorizationCode: input.code,
    pkceCodeVerifier: input.pkceCodeVerifier, redirectUri: input.redirectUri
  });
  const results = await fetchCredentials(client, issuerMetadata,
    accessTokenResponse.access_token, keys, input.configurations, input.clientId);
  return {token: accessTokenResponse, results};
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const command = process.argv[2];
  const run = {'pre-authorized': preAuthorized, authorize, 'redeem-code': redeemCode}[command];
  if(!run) {
    throw new Error(`unknown command ${command}`);
  }
  process.stdout.write(JSON.stringify(await run(input)) + '\n');
}

main().catch(error => {
  // The library's errors carry the server's answer: show it to the test.
  const detail = {error: String(error?.message ?? error)};
  for(const name of ['response', 'errorResponse', 'credentialErrorResponseResult',
    'accessTokenErrorResponse']) {
    if(error?.[name] !== undefined) {
      detail[name] = error[name]?.data ?? error[name];
    }
  }
  process.stdout.write(JSON.stringify(detail) + '\n');
  process.exitCode = 1;
});
