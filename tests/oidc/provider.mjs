// A real OpenID provider on loopback for the single sign-on tests (test_oidc_login.py).
//
// panva's oidc-provider (OpenID Certified) with its development interactions: a login form
// that accepts any password for a known login, then a consent form. The Python test drives
// both with plain HTTP requests. Everything comes from the environment:
//   OIDC_PORT          the loopback port to listen on (the issuer is http://127.0.0.1:PORT)
//   OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI   the one registered client
//   OIDC_USERS         a JSON file {login: {email, email_verified, name, groups}}, read at
//                      every look-up so a test can change a person's groups between logins
// It prints "ready <issuer>" on stdout once it listens, and stops on SIGTERM.
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;

function people() {
  return JSON.parse(readFileSync(process.env.OIDC_USERS, 'utf8'));
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  // PKCE for every client, not only public ones: the relying party must send S256.
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  cookies: { keys: ['skill-passport-oidc-test-cookie-key'] },
  async findAccount(ctx, id) {
    const person = people()[id];
    if (!person) {
      return undefined;
    }
    return {
      accountId: id,
      async claims() {
        return { sub: person.sub || id, ...person };
      },
    };
  },
});
// Loopback over plain HTTP: tell the provider so (it refuses insecure cookies otherwise).
provider.proxy = false;

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
