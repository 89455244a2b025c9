// A real OpenID Provider for the oidc plugin's tests: the certified `oidc-provider` package, on
// 127.0.0.1, with its development login and consent pages (driven by the tests over HTTP).
//
//   node provider.mjs '<json>'   json: {"port", "clients": [...client metadata], "accounts": {id: claims}}
//
// It prints "ready <issuer>" once it listens. Besides the standard endpoints it answers
// POST /__control (JSON), for the cases a well-behaved provider never produces by itself:
//   {"tamper": {"claims": {...}, "key": "own" | "foreign"}}  the next token response's ID token is
//       re-signed with these claims merged in, by its own key or by a key it never published
//       (under the same kid);
//   {"hide": ["kid", ...]}   the JWKS leaves these keys out (a key not yet published: rotation);
//   {"reset": true}          back to normal; answers {"jwks_fetches": n} whatever was asked.
import {
  decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, SignJWT,
} from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2] || '{}');
const port = Number(config.port);
const issuer = `http://127.0.0.1:${port}`;

async function privateJwk(alg, kid, options = {}) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...options });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

// RS256 signs for clients by default; ES256 for a client whose metadata asks for it.
const signing = [await privateJwk('RS256', 'rs-1'), await privateJwk('ES256', 'es-1')];
const foreign = await generateKeyPair('RS256', { extractable: true });

const accounts = config.accounts || {};
const state = { tamper: null, hide: [], jwksFetches: 0 };

const provider = new Provider(issuer, {
  clients: config.clients || [],
  jwks: { keys: signing },
  cookies: { keys: ['annex-test-provider-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: account.sub || id, ...account };
      },
    };
  },
  // The dev pages do not check passwords: the test types an account id, the password is ignored.
});
provider.proxy = false;

async function readJson(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
}

async function tampered(idToken, tamper) {
  const header = decodeProtectedHeader(idToken);
  const claims = { ...decodeJwt(idToken), ...(tamper.claims || {}) };
  for (const [name, value] of Object.entries(claims)) if (value === null) delete claims[name];
  let key;
  if (tamper.key === 'foreign') {
    key = foreign.privateKey;
  } else {
    const jwk = signing.find((candidate) => candidate.kid === header.kid);
    key = await importJWK(jwk, jwk.alg);
  }
  const alg = tamper.key === 'foreign' ? 'RS256' : header.alg;
  return new SignJWT(claims).setProtectedHeader({ alg, kid: header.kid, typ: header.typ }).sign(key);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__control' && ctx.method === 'POST') {
    const asked = await readJson(ctx);
    if (asked.reset) Object.assign(state, { tamper: null, hide: [] });
    if (asked.tamper) state.tamper = asked.tamper;
    if (asked.hide) state.hide = asked.hide;
    ctx.body = { jwks_fetches: state.jwksFetches };
    return;
  }
  await next();
  if (ctx.path === '/jwks' && ctx.status === 200) {
    state.jwksFetches += 1;
    const body = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : ctx.body;
    ctx.body = { keys: body.keys.filter((key) => !state.hide.includes(key.kid)) };
  }
  if (ctx.path === '/token' && ctx.status === 200 && state.tamper) {
    const tamper = state.tamper;
    state.tamper = null;
    const body = typeof ctx.body === 'string' ? JSON.parse(ctx.body) : { ...ctx.body };
    if (body.id_token) body.id_token = await tampered(body.id_token, tamper);
    ctx.body = body;
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
