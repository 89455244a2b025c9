// Unit tests of annex.js's email change: asking for it (with a step-up proof when the sign-in is
// old) and confirming it with the mailed link's token. `node --test tests/js/` (Node 20+).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { AnnexError, changeEmail, confirmEmailChange, createClient } from '../../client/annex.js';

const json = (status, body) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
const noContent = () => new Response(null, { status: 204 });
const failure = (status, code, extra = {}) => json(status, { error: { code, message: code.replace(/_/g, ' '), ...extra } });

/** A fake server: `routes` maps "METHOD /path" to (call) => Response; the calls are kept. */
function fakeServer(routes) {
  const calls = [];
  async function fetch(url, init) {
    const parsed = new URL(url, 'http://site.test');
    const call = { path: parsed.pathname, method: init.method, headers: init.headers, body: init.body && JSON.parse(init.body) };
    calls.push(call);
    const route = routes[`${init.method} ${parsed.pathname}`];
    return route ? route(call) : failure(404, 'not_found');
  }
  return { fetch, calls, paths: () => calls.map((c) => `${c.method} ${c.path}`) };
}

const client = (server, extra = {}) =>
  createClient({
    fetch: server.fetch,
    cookies: () => '__Host-annex_csrf=c1',
    events: new EventTarget(),
    storage: null,
    locks: null,
    credentials: null,
    ...extra,
  });

const header = (call, name) => new Headers(call.headers).get(name);

describe('changeEmail', () => {
  it('is a named export of the default client, as confirmEmailChange is', () => {
    assert.equal(typeof changeEmail, 'function');
    assert.equal(typeof confirmEmailChange, 'function');
  });

  it('posts the new address with the CSRF header and resolves on 202', async () => {
    const server = fakeServer({ 'POST /api/auth/email': () => json(202, { status: 'accepted' }) });
    assert.equal(await client(server).changeEmail('new@example.test'), undefined);
    const [call] = server.calls;
    assert.deepEqual(call.body, { new_email: 'new@example.test' });
    assert.equal(header(call, 'X-CSRF-Token'), 'c1');
  });

  it('sends a proof in the same body, and the proof cannot replace the address', async () => {
    const server = fakeServer({ 'POST /api/auth/email': () => json(202, { status: 'accepted' }) });
    const annex = client(server);
    await annex.changeEmail('new@example.test', { password: 'pw-1' });
    await annex.changeEmail('new@example.test', { code: '123456' });
    await annex.changeEmail('new@example.test', { credential: { id: 'k1' }, new_email: 'evil@example.test' });
    assert.deepEqual(server.calls.map((c) => c.body), [
      { password: 'pw-1', new_email: 'new@example.test' },
      { code: '123456', new_email: 'new@example.test' },
      { credential: { id: 'k1' }, new_email: 'new@example.test' },
    ]);
  });

  it('runs the passkey ceremony for {passkey: true} and sends its credential', async () => {
    const options = { challenge: 'AAAA', allowCredentials: [] };
    const credential = {
      id: 'AQID',
      rawId: new Uint8Array([1, 2, 3]).buffer,
      type: 'public-key',
      authenticatorAttachment: null,
      response: {
        clientDataJSON: new Uint8Array([4]).buffer,
        authenticatorData: new Uint8Array([5]).buffer,
        signature: new Uint8Array([6]).buffer,
        userHandle: null,
      },
      getClientExtensionResults: () => ({}),
    };
    const server = fakeServer({
      'POST /api/passkeys/login/options': () => json(200, options),
      'POST /api/auth/email': () => json(202, { status: 'accepted' }),
    });
    const annex = client(server, { credentials: { create: () => assert.fail(), get: async () => credential } });
    await annex.changeEmail('new@example.test', { passkey: true });
    assert.deepEqual(server.paths(), ['POST /api/passkeys/login/options', 'POST /api/auth/email']);
    const sent = server.calls[1].body;
    assert.equal(sent.new_email, 'new@example.test');
    assert.equal(sent.credential.id, 'AQID');
    assert.equal('passkey' in sent, false);
  });

  it('rejects with the server\'s errors: reauth_required with its methods, email_taken, a field error', async () => {
    const answers = [
      failure(403, 'reauth_required', { methods: ['password', 'totp'] }),
      failure(409, 'email_taken'),
      failure(422, 'validation_error', { fields: { new_email: "this is already the account's address" } }),
    ];
    const server = fakeServer({ 'POST /api/auth/email': () => answers.shift() });
    const annex = client(server);
    await assert.rejects(annex.changeEmail('a@example.test'), (error) => {
      assert.ok(error instanceof AnnexError);
      assert.equal(error.status, 403);
      assert.equal(error.code, 'reauth_required');
      assert.deepEqual(error.methods, ['password', 'totp']);
      return true;
    });
    await assert.rejects(annex.changeEmail('b@example.test'), { status: 409, code: 'email_taken' });
    await assert.rejects(annex.changeEmail('me@example.test'), (error) => {
      assert.equal(error.code, 'validation_error');
      assert.deepEqual(error.fields, { new_email: "this is already the account's address" });
      return true;
    });
  });
});

describe('confirmEmailChange', () => {
  it('posts the token and resolves on 204', async () => {
    const server = fakeServer({ 'POST /api/auth/email/confirm': () => noContent() });
    assert.equal(await client(server).confirmEmailChange('t-1'), undefined);
    assert.deepEqual(server.calls.map((c) => c.body), [{ token: 't-1' }]);
  });

  it('works with no session at all (no CSRF cookie)', async () => {
    const server = fakeServer({ 'POST /api/auth/email/confirm': () => noContent() });
    await client(server, { cookies: () => '' }).confirmEmailChange('t-2');
    assert.deepEqual(server.paths(), ['POST /api/auth/email/confirm']);
    assert.equal(header(server.calls[0], 'X-CSRF-Token'), null);
  });

  it('rejects with invalid_token and email_taken, and never refreshes a session for them', async () => {
    const answers = [failure(400, 'invalid_token'), failure(409, 'email_taken'), failure(401, 'token_expired')];
    const server = fakeServer({
      'POST /api/auth/email/confirm': () => answers.shift(),
      'POST /api/auth/refresh': () => assert.fail('no refresh for a mailed link'),
    });
    const annex = client(server);
    await assert.rejects(annex.confirmEmailChange('used'), { status: 400, code: 'invalid_token' });
    await assert.rejects(annex.confirmEmailChange('taken'), { status: 409, code: 'email_taken' });
    await assert.rejects(annex.confirmEmailChange('x'), { status: 401, code: 'token_expired' });
    assert.deepEqual(server.paths(), Array(3).fill('POST /api/auth/email/confirm'));
  });
});
