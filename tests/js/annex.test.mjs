// Unit tests of client/annex.js: `node --test tests/js/` (Node 20+, no dependencies).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AnnexError, createClient, safeNext } from '../../client/annex.js';

const json = (status, body, headers = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
const expired = () => json(401, { error: { code: 'token_expired', message: 'token has expired' } });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A fake server: `routes` maps "METHOD /path" to a function (call) => Response. */
function fakeServer(routes) {
  const calls = [];
  async function fetch(url, init) {
    const call = { url, method: init.method, headers: init.headers, body: init.body, init };
    calls.push(call);
    const path = new URL(url, 'http://site.test').pathname;
    const route = routes[`${init.method} ${path}`];
    if (!route) return json(404, { error: { code: 'not_found', message: 'no route' } });
    await tick();
    return route(call);
  }
  return { fetch, calls, count: (method, path) => calls.filter((c) => c.method === method && c.url.endsWith(path)).length };
}

/** Web Locks stand-in: one holder at a time per name, shared by every client given it. */
function fakeLocks() {
  const tails = new Map();
  return {
    request(name, options, task) {
      const previous = tails.get(name) || Promise.resolve();
      const run = previous.then(() => task());
      tails.set(name, run.catch(() => {}));
      return run;
    },
  };
}

function fakeStorage() {
  const map = new Map();
  return {
    getItem: (key) => (map.has(key) ? map.get(key) : null),
    setItem: (key, value) => map.set(key, String(value)),
    removeItem: (key) => map.delete(key),
  };
}

/** A server whose access token is "expired" until a refresh happened (per client "tab"). */
function expiringServer() {
  let generation = 0;
  const server = fakeServer({
    'POST /api/auth/refresh': () => {
      generation += 1;
      return json(200, { token_type: 'Bearer', expires_in: 900, user: { id: 1, username: 'alice' } });
    },
    'GET /api/user/profile': () => (generation ? json(200, { id: 1, username: 'alice' }) : expired()),
    'GET /api/auth/sessions': () => (generation ? json(200, { sessions: [{ id: 7, current: true }] }) : expired()),
    'GET /api/auth/activity': () => (generation ? json(200, { events: [] }) : expired()),
    'POST /api/auth/logout': () => new Response(null, { status: 204 }),
  });
  return server;
}

const cookieClient = (server, extra = {}) =>
  createClient({
    fetch: server.fetch,
    cookies: () => 'theme=dark; __Host-annex_csrf=csrf%2Dvalue; other=1',
    events: new EventTarget(),
    storage: null,
    locks: null,
    ...extra,
  });

describe('CSRF header and credentials', () => {
  it('sends the CSRF cookie on unsafe requests only, always with credentials', async () => {
    const server = fakeServer({
      'GET /api/user/profile': () => json(200, { id: 1 }),
      'PATCH /api/user/profile': () => json(200, { id: 1, display_name: 'A' }),
    });
    const client = cookieClient(server);
    await client.me();
    await client.updateProfile({ display_name: 'A' });
    const [get, patch] = server.calls;
    assert.equal(get.headers.get('X-CSRF-Token'), null);
    assert.equal(patch.headers.get('X-CSRF-Token'), 'csrf-value');
    assert.equal(patch.headers.get('Content-Type'), 'application/json');
    assert.deepEqual(JSON.parse(patch.body), { display_name: 'A' });
    assert.equal(get.init.credentials, 'include');
    assert.equal(patch.init.credentials, 'include');
  });

  it('sends its own referrer policy, so a no-referrer page still sends its real Origin', async () => {
    const server = fakeServer({ 'POST /api/auth/verify-email/confirm': () => json(200, { status: 'ok' }) });
    await cookieClient(server).confirmEmail('mailed-token');
    assert.equal(server.calls[0].init.referrerPolicy, 'strict-origin');
  });

  it('falls back to annex_csrf (cookie_secure = false)', async () => {
    const server = fakeServer({ 'POST /api/auth/verify-email': () => json(202, { status: 'accepted' }) });
    const client = cookieClient(server, { cookies: () => 'annex_csrf=plain' });
    await client.requestEmailVerification();
    assert.equal(server.calls[0].headers.get('X-CSRF-Token'), 'plain');
  });

  it('prefixes every path with baseUrl', async () => {
    const server = fakeServer({ 'GET /api/hello': () => json(200, { hello: 'world' }) });
    const client = cookieClient(server, { baseUrl: 'https://api.example.test/', transport: 'cookie' });
    assert.deepEqual(await client.api('/api/hello'), { hello: 'world' });
    assert.equal(server.calls[0].url, 'https://api.example.test/api/hello');
  });
});

describe('refresh on token_expired', () => {
  it('shares one refresh between concurrent requests and retries each once', async () => {
    const server = expiringServer();
    const client = cookieClient(server);
    const [profile, sessions, events] = await Promise.all([client.me(), client.sessions(), client.activity()]);
    assert.equal(profile.username, 'alice');
    assert.equal(sessions.length, 1);
    assert.deepEqual(events, []);
    assert.equal(server.count('POST', '/api/auth/refresh'), 1);
    const refresh = server.calls.find((c) => c.url.endsWith('/api/auth/refresh'));
    assert.equal(refresh.body, undefined, 'the cookie refresh sends an empty body');
    assert.equal(refresh.headers.get('X-CSRF-Token'), 'csrf-value');
    assert.equal(server.count('GET', '/api/user/profile'), 2);
  });

  it('refreshes once across tabs sharing a lock and storage', async () => {
    const server = expiringServer();
    const shared = { locks: fakeLocks(), storage: fakeStorage() };
    const tabs = [cookieClient(server, shared), cookieClient(server, shared)];
    const results = await Promise.all(tabs.flatMap((tab) => [tab.me(), tab.sessions()]));
    assert.equal(results.length, 4);
    assert.equal(server.count('POST', '/api/auth/refresh'), 1);
  });

  it('refreshes once across tabs whose storage has not caught up yet (the cookie marker)', async () => {
    // Another tab's localStorage write may arrive after the Web Lock did; cookies are shared at once.
    const server = expiringServer();
    const jar = new Map([['__Host-annex_csrf', 'csrf%2Dvalue']]);
    const shared = {
      locks: fakeLocks(),
      cookies: () => [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
      setCookie: (cookie) => {
        const [pair] = cookie.split(';');
        const index = pair.indexOf('=');
        jar.set(pair.slice(0, index), pair.slice(index + 1));
      },
    };
    const tabs = [cookieClient(server, { ...shared, storage: fakeStorage() }), cookieClient(server, { ...shared, storage: fakeStorage() })];
    const results = await Promise.all(tabs.flatMap((tab) => [tab.me(), tab.sessions()]));
    assert.equal(results.length, 4);
    assert.equal(server.count('POST', '/api/auth/refresh'), 1);
    assert.ok(Number(jar.get('annex_refreshed_at')) > 0);
  });

  it('refreshes again for a request sent after the last refresh', async () => {
    let expiredNow = true;
    const server = fakeServer({
      'POST /api/auth/refresh': () => {
        expiredNow = false;
        return json(200, { user: { id: 1 } });
      },
      'GET /api/user/profile': () => (expiredNow ? expired() : json(200, { id: 1 })),
    });
    const client = cookieClient(server);
    await client.me();
    expiredNow = true;
    await tick();
    await client.me();
    assert.equal(server.count('POST', '/api/auth/refresh'), 2);
  });

  it('gives up when the refresh fails: rejects, announces the logout, no loop', async () => {
    const server = fakeServer({
      'POST /api/auth/refresh': () => json(401, { error: { code: 'token_revoked', message: 'session revoked' } }),
      'GET /api/user/profile': () => expired(),
    });
    const events = new EventTarget();
    const seen = [];
    events.addEventListener('annex:logout', (event) => seen.push(event.detail.reason));
    const client = cookieClient(server, { events });
    await assert.rejects(client.me(), (error) => error instanceof AnnexError && error.code === 'token_revoked');
    assert.deepEqual(seen, ['token_revoked']);
    assert.equal(server.count('POST', '/api/auth/refresh'), 1);
    assert.equal(server.count('GET', '/api/user/profile'), 1);
  });

  it('does not refresh for other 401s, nor when told not to', async () => {
    const server = fakeServer({
      'POST /api/auth/login': () => json(401, { error: { code: 'invalid_credentials', message: 'no' } }),
      'GET /api/plugin': () => expired(),
    });
    const client = cookieClient(server);
    await assert.rejects(client.login('alice', 'wrong'), { status: 401, code: 'invalid_credentials' });
    await assert.rejects(client.api('/api/plugin', { refresh: false }), { code: 'token_expired' });
    assert.equal(server.count('POST', '/api/auth/refresh'), 0);
  });
});

describe('errors', () => {
  it('rejects with an AnnexError carrying status, code, message and fields', async () => {
    const server = fakeServer({
      'POST /api/auth/register': () =>
        json(422, {
          error: { code: 'validation_error', message: 'some fields are invalid', fields: { password: 'password is too common' } },
        }),
    });
    const error = await cookieClient(server)
      .register({ username: 'al', email: 'a@b.test', password: 'password' })
      .catch((e) => e);
    assert.ok(error instanceof Error && error instanceof AnnexError);
    assert.equal(error.status, 422);
    assert.equal(error.code, 'validation_error');
    assert.equal(error.message, 'some fields are invalid');
    assert.deepEqual(error.fields, { password: 'password is too common' });
  });

  it('turns a network failure and a non-JSON answer into AnnexErrors', async () => {
    const down = createClient({ fetch: async () => { throw new TypeError('fetch failed'); }, storage: null, locks: null, events: null });
    await assert.rejects(down.me(), { status: 0, code: 'network_error' });
    const proxy = createClient({
      fetch: async () => new Response('<h1>Bad gateway</h1>', { status: 502, headers: { 'Content-Type': 'text/html' } }),
      storage: null,
      locks: null,
      events: null,
    });
    await assert.rejects(proxy.me(), { status: 502, code: 'http_error', fields: {} });
  });
});

describe('events', () => {
  it('dispatches annex:login with the user and annex:logout on logout', async () => {
    const server = fakeServer({
      'POST /api/auth/login': () => json(200, { token_type: 'Bearer', user: { id: 1, username: 'alice' } }),
      'POST /api/auth/logout': () => new Response(null, { status: 204 }),
    });
    const events = new EventTarget();
    const seen = [];
    events.addEventListener('annex:login', (event) => seen.push(['login', event.detail.user.username]));
    events.addEventListener('annex:logout', (event) => seen.push(['logout', event.detail.reason]));
    const client = cookieClient(server, { events });
    assert.equal((await client.login('alice', 'pw')).username, 'alice');
    await client.logout();
    assert.deepEqual(seen, [['login', 'alice'], ['logout', 'logout']]);
  });
});

describe('hasSession', () => {
  it('follows the CSRF cookie with the cookie transport, without a request', () => {
    const server = fakeServer({});
    let cookies = 'theme=dark';
    const client = cookieClient(server, { cookies: () => cookies });
    assert.equal(client.hasSession(), false);
    cookies = 'theme=dark; annex_csrf=value';
    assert.equal(client.hasSession(), true);
    assert.equal(server.calls.length, 0);
  });

  it('follows the kept tokens with the bearer transport', async () => {
    const server = fakeServer({
      'POST /api/auth/login': () => json(200, { access_token: 'a1', refresh_token: 'r1', user: { id: 1 } }),
      'POST /api/auth/logout': () => new Response(null, { status: 204 }),
    });
    const client = createClient({ baseUrl: 'https://api.example.test', fetch: server.fetch, locks: null, events: null });
    assert.equal(client.hasSession(), false);
    await client.login('alice', 'pw');
    assert.equal(client.hasSession(), true);
    await client.logout();
    assert.equal(client.hasSession(), false);
  });
});

describe('bearer transport', () => {
  it('keeps the tokens, sends Authorization and refreshes with the body', async () => {
    let access = 'a1';
    const server = fakeServer({
      'POST /api/auth/login': () => json(200, { access_token: 'a1', refresh_token: 'r1', user: { id: 1 } }),
      'POST /api/auth/refresh': (call) => {
        assert.deepEqual(JSON.parse(call.body), { refresh_token: 'r1' });
        access = 'a2';
        return json(200, { access_token: 'a2', refresh_token: 'r2', user: { id: 1 } });
      },
      'GET /api/user/profile': (call) =>
        call.headers.get('Authorization') === `Bearer ${access}` && access === 'a2' ? json(200, { id: 1 }) : expired(),
    });
    const client = createClient({ baseUrl: 'https://api.example.test', fetch: server.fetch, locks: null, events: null });
    await client.login('alice', 'pw');
    assert.deepEqual(await client.me(), { id: 1 });
    assert.equal(server.count('POST', '/api/auth/refresh'), 1);
    assert.equal(server.calls[0].init.credentials, 'omit');
    assert.equal(server.calls.at(-1).headers.get('X-CSRF-Token'), null);
  });
});

describe('data', () => {
  it('passes ETags both ways', async () => {
    const server = fakeServer({
      'PUT /api/user/data/note': (call) =>
        json(call.headers.get('If-None-Match') === '*' ? 201 : 200, { key: 'note', value: 'hi', updated_at: 'now' }, { ETag: '"e1"' }),
      'GET /api/user/data/absent': () => json(404, { error: { code: 'not_found', message: 'no such key' } }),
    });
    const client = cookieClient(server);
    const item = await client.data.put('note', 'hi', { ifNoneMatch: '*' });
    assert.deepEqual(item, { key: 'note', value: 'hi', updated_at: 'now', etag: '"e1"', created: true });
    assert.equal(await client.data.get('absent'), null);
  });
});

describe('safeNext', () => {
  it('accepts paths on this site only', () => {
    assert.equal(safeNext('/members/'), '/members/');
    assert.equal(safeNext('/members/?a=1#b', '/x'), '/members/?a=1#b');
    for (const bad of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'members/', 'javascript:alert(1)', '', null, '/a\nb']) {
      assert.equal(safeNext(bad, '/account.html'), '/account.html', String(bad));
    }
  });
});
