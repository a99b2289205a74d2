// Runs DCC's verifier-core (the verifier of VerifierPlus and the Learner Credential Wallet)
// over one credential, offline.
//
// verifier-core builds its own document loader (`securityLoader({fetchRemoteContexts: true})`)
// and fetches JSON Schemas with the global `fetch`; neither can be handed in. Both end in
// `globalThis.fetch` (the DCC http-client is `ky` over fetch), so this harness replaces it
// before verifier-core is loaded: a URL the caller supplied is answered with that document
// (the issuer's did:web document, its status lists, the official OB 3.0 JSON Schema, contexts
// the packages lack); any other URL is refused, as if the network were down, and reported.
//
// stdin:  {"credential": {...}, "documents": {"<url>": <JSON document>, ...}}
// stdout: {"result": <verifier-core's answer without the credential>, "refused": ["<url>", ...]}
// Exit 0 when a result was printed, 2 for bad input.

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
let input;
try {
  input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
} catch (error) {
  process.stdout.write(JSON.stringify({error: `stdin is not JSON: ${error.message}`}) + '\n');
  process.exit(2);
}
const {credential, documents = {}} = input ?? {};
if (credential === null || typeof credential !== 'object' || typeof documents !== 'object') {
  process.stdout.write(JSON.stringify({error: 'give "credential" (object) and "documents"'}) + '\n');
  process.exit(2);
}

const served = new Map(Object.entries(documents));
const refused = [];

globalThis.fetch = async function offlineFetch(resource) {
  const url = typeof resource === 'string' ? resource :
    resource instanceof URL ? resource.href : resource.url;
  if(served.has(url)) {
    return new Response(JSON.stringify(served.get(url)), {
      status: 200,
      headers: {'content-type': 'application/json'}
    });
  }
  refused.push(url);
  throw new TypeError(`fetch failed: ${url} is not served (offline harness)`);
};

const {verifyCredential} = await import('@digitalcredentials/verifier-core');
const result = await verifyCredential({credential, knownDIDRegistries: []});
delete result.credential;
// Error objects (with stack traces) do not survive JSON.stringify: keep name and message.
const plain = JSON.parse(JSON.stringify(result, (key, value) =>
  value instanceof Error ? {name: value.name, message: value.message} : value));
process.stdout.write(JSON.stringify({result: plain, refused}) + '\n');
