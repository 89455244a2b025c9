// Unit tests of annex.js's other sign-in methods: OpenID Connect providers (buttons, linking,
// unlinking) and the emailed link or code. `node --test tests/js/` (Node 20+, no dependencies).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AnnexError, createClient, emailLink, oidc } from '../../client/annex.js';

const json = (status, body) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
const noContent = () => new Response(null, { status: 204 });
const failure = (status, code, extra = {}) => json(status, { error: { code, message: code.replace(/_/g, ' '), ...extra } });
const TOKEN_BODY = { token_type: 'Bearer', expires_in: 900, user: { id: 7, username: 'ada' } };

/** A fake server: `routes` maps "METHOD /path" to (call) => Response; the calls are kept. */
function fakeServer(routes) {
  const calls = [];
  async function fetch(url, init) {
    const parsed = new URL(url, 'http://site.test');
    const call = { url, path: parsed.pathname, method: init.method, headers: init.headers, body: init.body && JSON.parse(init.body) };
    calls.push(call);
    const route = routes[`${init.method} ${parsed.pathname}`];
    return route ? route(call) : failure(404, 'not_found');
  }
  return { fetch, calls, paths: () => calls.map((c) => `${c.method} ${c.path}`) };
}

function client(server, extra = {}) {
  const events = new EventTarget();
  const logins = [];
  events.addEventListener('annex:login', (event) => logins.push(event.detail.user.username));
  const annex = createClient({
    fetch: server.fetch,
    cookies: () => '__Host-annex_csrf=c1',
    events,
    storage: null,
    locks: null,
    credentials: null,
    ...extra,
  });
  return Object.assign(annex, { logins });
}

describe('oidc', () => {
  it('lists the providers, and none where the site has no oidc plugin', async () => {
    const providers = [{ name: 'google', label: 'Google' }, { name: 'staff', label: 'Company account' }];
    const on = fakeServer({ 'GET /api/oidc/providers': () => json(200, { providers }) });
    assert.deepEqual(await client(on).oidc.providers(), providers);
    assert.deepEqual(await client(fakeServer({})).oidc.providers(), []);
  });

  it('passes on any other failure to list the providers', async () => {
    const server = fakeServer({ 'GET /api/oidc/providers': () => failure(500, 'internal_error') });
    await assert.rejects(client(server).oidc.providers(), { status: 500, code: 'internal_error' });
  });

  it('builds the start link of a button, with next encoded, on the configured server', () => {
    const annex = client(fakeServer({}));
    assert.equal(annex.oidc.startUrl('google'), '/api/oidc/google/start');
    assert.equal(annex.oidc.startUrl({ name: 'google', label: 'G' }, '/account.html?tab=1&x=2'),
      '/api/oidc/google/start?next=%2Faccount.html%3Ftab%3D1%26x%3D2');
    assert.equal(annex.oidc.startUrl('a b/c', '/'), '/api/oidc/a%20b%2Fc/start?next=%2F');
    const remote = createClient({ baseUrl: 'https://api.example.test/', fetch: () => assert.fail(), locks: null, events: null });
    assert.equal(remote.oidc.startUrl('google', '/x'), 'https://api.example.test/api/oidc/google/start?next=%2Fx');
  });

  it('lists the linked identities, and asks for a link URL with next and the CSRF header', async () => {
    const identities = [{ id: 3, provider: 'google', email: 'ada@example.com', created_at: '2026-01-02T03:04:05Z' }];
    const server = fakeServer({
      'GET /api/oidc/identities': () => json(200, { identities }),
      'POST /api/oidc/google/link': () => json(200, { url: 'https://site.test/api/oidc/google/start?link=t1' }),
    });
    const annex = client(server);
    assert.deepEqual(await annex.oidc.identities(), identities);
    assert.equal(await annex.oidc.link('google', '/account.html'), 'https://site.test/api/oidc/google/start?link=t1');
    assert.equal(await annex.oidc.link({ name: 'google' }), 'https://site.test/api/oidc/google/start?link=t1');
    const [, first, second] = server.calls;
    assert.deepEqual(first.body, { next: '/account.html' });
    assert.equal(first.headers.get('X-CSRF-Token'), 'c1');
    assert.equal(second.body, undefined);
  });

  it('rejects a link to a provider the site does not have with 404', async () => {
    const error = await client(fakeServer({})).oidc.link('nope', '/').catch((e) => e);
    assert.ok(error instanceof AnnexError);
    assert.equal(error.status, 404);
  });

  it('unlinks by id or entry, and passes on reauth_required with its methods and last_sign_in_method', async () => {
    let answer = () => noContent();
    const server = fakeServer({ 'DELETE /api/oidc/identities/3': () => answer() });
    const annex = client(server);
    await annex.oidc.unlink(3);
    await annex.oidc.unlink({ id: 3, provider: 'google', email: null, created_at: '' });
    assert.deepEqual(server.paths(), ['DELETE /api/oidc/identities/3', 'DELETE /api/oidc/identities/3']);
    assert.equal(server.calls[0].headers.get('X-CSRF-Token'), 'c1');

    answer = () => failure(403, 'reauth_required', { methods: ['password', 'totp'] });
    const stepUp = await annex.oidc.unlink(3).catch((e) => e);
    assert.equal(stepUp.code, 'reauth_required');
    assert.deepEqual(stepUp.methods, ['password', 'totp']);

    answer = () => failure(409, 'last_sign_in_method');
    await assert.rejects(annex.oidc.unlink(3), { status: 409, code: 'last_sign_in_method' });
  });

  it('is exported for the default client too', () => {
    assert.equal(typeof oidc.providers, 'function');
    assert.equal(oidc.startUrl('x', '/y'), '/api/oidc/x/start?next=%2Fy');
  });
});

describe('emailLink', () => {
  it('tells whether the site has the plugin, without sending mail', async () => {
    const on = fakeServer({ 'GET /api/emaillink': () => failure(405, 'method_not_allowed') });
    assert.equal(await client(on).emailLink.available(), true);
    assert.equal(await client(fakeServer({})).emailLink.available(), false);
    assert.deepEqual(on.paths(), ['GET /api/emaillink']);
    const broken = fakeServer({ 'GET /api/emaillink': () => failure(500, 'internal_error') });
    await assert.rejects(client(broken).emailLink.available(), { status: 500 });
  });

  it('requests a mail with the address and the CSRF header, and resolves to nothing on 202', async () => {
    const server = fakeServer({ 'POST /api/emaillink': () => json(202, { status: 'accepted' }) });
    const annex = client(server);
    assert.equal(await annex.emailLink.request('ada@example.com'), undefined);
    assert.deepEqual(server.calls[0].body, { email: 'ada@example.com' });
    assert.equal(server.calls[0].headers.get('X-CSRF-Token'), 'c1');
    assert.deepEqual(annex.logins, []);
  });

  it('passes on a malformed address and the rate limit', async () => {
    let answer = () => failure(422, 'validation_error', { fields: { email: 'not an email address' } });
    const server = fakeServer({ 'POST /api/emaillink': () => answer() });
    const annex = client(server);
    const error = await annex.emailLink.request('ada').catch((e) => e);
    assert.equal(error.code, 'validation_error');
    assert.deepEqual(error.fields, { email: 'not an email address' });
    answer = () => failure(429, 'rate_limited');
    await assert.rejects(annex.emailLink.request('ada@example.com'), { status: 429, code: 'rate_limited' });
  });

  it('confirms with the token or with the address and code, and announces the login', async () => {
    const server = fakeServer({ 'POST /api/emaillink/confirm': () => json(200, TOKEN_BODY) });
    const annex = client(server);
    assert.equal((await annex.emailLink.confirm({ token: 'tok' })).username, 'ada');
    assert.equal((await annex.emailLink.confirm({ email: 'ada@example.com', code: '123 456' })).username, 'ada');
    assert.deepEqual(server.calls.map((c) => c.body), [{ token: 'tok' }, { email: 'ada@example.com', code: '123 456' }]);
    assert.deepEqual(annex.logins, ['ada', 'ada']);
    assert.equal(server.paths().includes('POST /api/auth/refresh'), false);
  });

  it('rejects with mfa_required carrying the challenge, and with invalid_token, announcing nothing', async () => {
    let answer = () =>
      failure(401, 'mfa_required', { mfa: { token: 'm1', factors: ['totp', 'recovery_code'], expires_in: 300 } });
    const server = fakeServer({ 'POST /api/emaillink/confirm': () => answer() });
    const annex = client(server);
    const error = await annex.emailLink.confirm({ token: 'tok' }).catch((e) => e);
    assert.equal(error.code, 'mfa_required');
    assert.deepEqual(error.mfa, { token: 'm1', factors: ['totp', 'recovery_code'], expiresIn: 300 });
    answer = () => failure(400, 'invalid_token');
    await assert.rejects(annex.emailLink.confirm({ email: 'ada@example.com', code: '000000' }), { status: 400, code: 'invalid_token' });
    assert.deepEqual(annex.logins, []);
  });

  it('keeps the tokens of a confirmation with the bearer transport', async () => {
    const server = fakeServer({
      'POST /api/emaillink/confirm': () => json(200, { ...TOKEN_BODY, access_token: 'a1', refresh_token: 'r1' }),
      'GET /api/user/profile': (call) =>
        call.headers.get('Authorization') === 'Bearer a1' ? json(200, { id: 7 }) : failure(401, 'unauthorized'),
    });
    const annex = createClient({ baseUrl: 'https://api.example.test', fetch: server.fetch, locks: null, events: null, credentials: null });
    assert.equal(annex.hasSession(), false);
    await annex.emailLink.confirm({ token: 'tok' });
    assert.equal(annex.hasSession(), true);
    assert.deepEqual(await annex.me(), { id: 7 });
  });

  it('is exported for the default client too', () => {
    assert.equal(typeof emailLink.confirm, 'function');
  });
});
