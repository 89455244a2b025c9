// Unit tests of annex.js's sign-in additions: the MFA challenge, step-up, registration modes,
// passkeys (the WebAuthn JSON conversions, by hand and through the browser's own functions) and
// the TOTP calls. `node --test tests/js/` (Node 20+, no dependencies).
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';

import {
  AnnexError,
  base64urlToBuffer,
  bufferToBase64url,
  createClient,
  credentialToJSON,
  creationOptionsFromJSON,
  requestOptionsFromJSON,
} from '../../client/annex.js';

const json = (status, body) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
const noContent = () => new Response(null, { status: 204 });
const bytes = (...values) => new Uint8Array(values).buffer;
const list = (buffer) => [...new Uint8Array(buffer)];
const TOKEN_BODY = { token_type: 'Bearer', expires_in: 900, user: { id: 1, username: 'alice' } };
const CHALLENGE = {
  error: {
    code: 'mfa_required',
    message: 'a second factor is needed',
    mfa: { token: 'mfa-1', factors: ['totp', 'recovery_code', 'passkey'], expires_in: 300 },
  },
};

/** A fake server: `routes` maps "METHOD /path" to (call) => Response; the calls are kept. */
function fakeServer(routes) {
  const calls = [];
  async function fetch(url, init) {
    const call = { url, method: init.method, headers: init.headers, body: init.body && JSON.parse(init.body) };
    calls.push(call);
    const route = routes[`${init.method} ${new URL(url, 'http://site.test').pathname}`];
    return route ? route(call) : json(404, { error: { code: 'not_found', message: 'no route' } });
  }
  return { fetch, calls, paths: () => calls.map((c) => `${c.method} ${new URL(c.url, 'http://site.test').pathname}`) };
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

// --- binary values ---------------------------------------------------------------------------------

describe('base64url', () => {
  it('round-trips every byte value without padding', () => {
    const all = new Uint8Array(256).map((_, index) => index);
    const text = bufferToBase64url(all.buffer);
    assert.doesNotMatch(text, /[+/=]/);
    assert.deepEqual(list(base64urlToBuffer(text)), [...all]);
  });

  it('matches known encodings, and reads padded or standard base64 too', () => {
    assert.equal(bufferToBase64url(bytes(0xfb, 0xff)), '-_8');
    assert.equal(bufferToBase64url(new TextEncoder().encode('hello')), 'aGVsbG8');
    assert.deepEqual(list(base64urlToBuffer('-_8')), [0xfb, 0xff]);
    assert.deepEqual(list(base64urlToBuffer('+/8=')), [0xfb, 0xff]);
    assert.equal(bufferToBase64url(new ArrayBuffer(0)), '');
  });

  it('encodes a view of part of a buffer, not the whole buffer', () => {
    const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
    assert.equal(bufferToBase64url(view), bufferToBase64url(bytes(1, 2, 3)));
  });
});

// --- WebAuthn options and credentials ----------------------------------------------------------------

const CREATION = {
  rp: { id: 'localhost', name: 'Annex' },
  user: { id: 'dXNlci1oYW5kbGU', name: 'alice', displayName: 'alice' },
  challenge: 'Y2hhbGxlbmdl',
  pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 }, { type: 'public-key', alg: -257 }],
  timeout: 300000,
  excludeCredentials: [{ id: 'AQID', type: 'public-key', transports: ['internal'] }],
  authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  attestation: 'none',
};
const REQUEST = {
  challenge: 'Y2hhbGxlbmdl',
  timeout: 300000,
  rpId: 'localhost',
  allowCredentials: [{ id: 'AQID', type: 'public-key' }],
  userVerification: 'required',
};

/** What navigator.credentials.create() resolves to, without the browser's toJSON. */
function attestation() {
  return {
    id: 'AQID',
    rawId: bytes(1, 2, 3),
    type: 'public-key',
    authenticatorAttachment: 'platform',
    getClientExtensionResults: () => ({ credProps: { rk: true } }),
    response: {
      clientDataJSON: new TextEncoder().encode('{"type":"webauthn.create"}').buffer,
      attestationObject: bytes(0xa3, 0x63),
      getTransports: () => ['internal'],
      getAuthenticatorData: () => bytes(4, 5),
      getPublicKey: () => bytes(6, 7),
      getPublicKeyAlgorithm: () => -7,
    },
  };
}

/** What navigator.credentials.get() resolves to, without the browser's toJSON. */
function assertionCredential({ userHandle = bytes(0x75) } = {}) {
  return {
    id: 'AQID',
    rawId: bytes(1, 2, 3),
    type: 'public-key',
    authenticatorAttachment: null,
    getClientExtensionResults: () => ({}),
    response: {
      clientDataJSON: new TextEncoder().encode('{"type":"webauthn.get"}').buffer,
      authenticatorData: bytes(8, 9),
      signature: bytes(0x30, 0x44),
      userHandle,
    },
  };
}

describe('WebAuthn conversions by hand (a browser without the JSON helpers)', () => {
  it('turns creation options into ArrayBuffers where WebAuthn wants them, the rest as it was', () => {
    const options = creationOptionsFromJSON(CREATION);
    assert.ok(options.challenge instanceof ArrayBuffer);
    assert.equal(new TextDecoder().decode(options.challenge), 'challenge');
    assert.equal(new TextDecoder().decode(options.user.id), 'user-handle');
    assert.equal(options.user.name, 'alice');
    assert.deepEqual(list(options.excludeCredentials[0].id), [1, 2, 3]);
    assert.deepEqual(options.excludeCredentials[0].transports, ['internal']);
    assert.deepEqual(options.pubKeyCredParams, CREATION.pubKeyCredParams);
    assert.deepEqual(options.authenticatorSelection, CREATION.authenticatorSelection);
    assert.equal(options.attestation, 'none');
    assert.equal(CREATION.challenge, 'Y2hhbGxlbmdl', 'the JSON given is left as it was');
  });

  it('turns request options into ArrayBuffers; an empty allowCredentials stays empty', () => {
    const options = requestOptionsFromJSON(REQUEST);
    assert.equal(new TextDecoder().decode(options.challenge), 'challenge');
    assert.deepEqual(list(options.allowCredentials[0].id), [1, 2, 3]);
    assert.equal(options.userVerification, 'required');
    assert.deepEqual(requestOptionsFromJSON({ ...REQUEST, allowCredentials: [] }).allowCredentials, []);
  });

  it('writes a new credential as RegistrationResponseJSON', () => {
    assert.deepEqual(credentialToJSON(attestation()), {
      id: 'AQID',
      rawId: 'AQID',
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
      response: {
        clientDataJSON: bufferToBase64url(new TextEncoder().encode('{"type":"webauthn.create"}')),
        attestationObject: 'o2M',
        transports: ['internal'],
        authenticatorData: 'BAU',
        publicKey: 'Bgc',
        publicKeyAlgorithm: -7,
      },
    });
  });

  it('writes an assertion as AuthenticationResponseJSON, leaving out what is absent', () => {
    const answer = credentialToJSON(assertionCredential());
    assert.deepEqual(answer, {
      id: 'AQID',
      rawId: 'AQID',
      type: 'public-key',
      clientExtensionResults: {},
      response: {
        clientDataJSON: bufferToBase64url(new TextEncoder().encode('{"type":"webauthn.get"}')),
        authenticatorData: 'CAk',
        signature: 'MEQ',
        userHandle: 'dQ',
      },
    });
    assert.equal('userHandle' in credentialToJSON(assertionCredential({ userHandle: null })).response, false);
    assert.doesNotThrow(() => JSON.stringify(answer));
  });
});

describe('WebAuthn conversions through the browser (PublicKeyCredential has the JSON helpers)', () => {
  afterEach(() => {
    delete globalThis.PublicKeyCredential;
  });

  it('prefers parseCreationOptionsFromJSON, parseRequestOptionsFromJSON and toJSON', () => {
    const seen = [];
    globalThis.PublicKeyCredential = {
      parseCreationOptionsFromJSON: (options) => (seen.push(['create', options]), { native: 'create' }),
      parseRequestOptionsFromJSON: (options) => (seen.push(['get', options]), { native: 'get' }),
    };
    assert.deepEqual(creationOptionsFromJSON(CREATION), { native: 'create' });
    assert.deepEqual(requestOptionsFromJSON(REQUEST), { native: 'get' });
    assert.deepEqual(seen, [['create', CREATION], ['get', REQUEST]]);
    const credential = { ...assertionCredential(), toJSON: () => ({ from: 'browser' }) };
    assert.deepEqual(credentialToJSON(credential), { from: 'browser' });
  });
});

// --- the MFA challenge --------------------------------------------------------------------------------

describe('login with a second factor', () => {
  it('rejects with mfa_required carrying the challenge, and announces no login', async () => {
    const server = fakeServer({ 'POST /api/auth/login': () => json(401, CHALLENGE) });
    const annex = client(server);
    const error = await annex.login('alice', 'pw').catch((e) => e);
    assert.ok(error instanceof AnnexError);
    assert.equal(error.status, 401);
    assert.equal(error.code, 'mfa_required');
    assert.deepEqual(error.mfa, { token: 'mfa-1', factors: ['totp', 'recovery_code', 'passkey'], expiresIn: 300 });
    assert.deepEqual(annex.logins, []);
    assert.equal(server.paths().includes('POST /api/auth/refresh'), false);
  });

  it('leaves mfa null and methods empty on other errors', async () => {
    const server = fakeServer({
      'POST /api/auth/login': () => json(401, { error: { code: 'invalid_credentials', message: 'no' } }),
    });
    const error = await client(server).login('alice', 'wrong').catch((e) => e);
    assert.equal(error.code, 'invalid_credentials');
    assert.equal(error.mfa, null);
    assert.deepEqual(error.methods, []);
  });

  it('finishes with an authenticator code or a recovery code', async () => {
    const server = fakeServer({
      'POST /api/auth/mfa': (call) =>
        call.body.code === '123456' || call.body.code === 'abcd-efgh'
          ? json(200, TOKEN_BODY)
          : json(401, { error: { code: 'invalid_code', message: 'wrong code' } }),
    });
    const annex = client(server);
    await assert.rejects(annex.mfa({ token: 'mfa-1', factor: 'totp', code: '000000' }), { status: 401, code: 'invalid_code' });
    assert.deepEqual(annex.logins, []);
    const user = await annex.mfa({ token: 'mfa-1', factor: 'totp', code: '123456' });
    assert.equal(user.username, 'alice');
    await annex.mfa({ token: 'mfa-2', factor: 'recovery_code', code: 'abcd-efgh' });
    assert.deepEqual(
      server.calls.map((c) => c.body),
      [
        { mfa_token: 'mfa-1', factor: 'totp', code: '000000' },
        { mfa_token: 'mfa-1', factor: 'totp', code: '123456' },
        { mfa_token: 'mfa-2', factor: 'recovery_code', code: 'abcd-efgh' },
      ],
    );
    assert.deepEqual(annex.logins, ['alice', 'alice']);
    assert.equal(server.calls[0].headers.get('X-CSRF-Token'), 'c1');
  });

  it('keeps the tokens of the second step with the bearer transport', async () => {
    const server = fakeServer({
      'POST /api/auth/login': () => json(401, CHALLENGE),
      'POST /api/auth/mfa': () => json(200, { ...TOKEN_BODY, access_token: 'a1', refresh_token: 'r1' }),
      'GET /api/user/profile': (call) =>
        call.headers.get('Authorization') === 'Bearer a1' ? json(200, { id: 1 }) : json(401, { error: { code: 'unauthorized', message: 'no' } }),
    });
    const annex = createClient({ baseUrl: 'https://api.example.test', fetch: server.fetch, locks: null, events: null, credentials: null });
    const challenge = await annex.login('alice', 'pw').catch((e) => e.mfa);
    assert.equal(annex.hasSession(), false);
    await annex.mfa({ token: challenge.token, factor: 'totp', code: '123456' });
    assert.equal(annex.hasSession(), true);
    assert.deepEqual(await annex.me(), { id: 1 });
  });

  it('runs the passkey ceremony against the user\'s passkeys when no credential is given', async () => {
    const server = fakeServer({
      'POST /api/passkeys/login/options': () => json(200, REQUEST),
      'POST /api/auth/mfa': () => json(200, TOKEN_BODY),
    });
    const asked = [];
    const credentials = {
      create: () => assert.fail('no registration here'),
      get: async (options) => (asked.push(options), assertionCredential()),
    };
    const annex = client(server, { credentials });
    await annex.mfa({ token: 'mfa-1', factor: 'passkey' });
    assert.deepEqual(server.paths(), ['POST /api/passkeys/login/options', 'POST /api/auth/mfa']);
    assert.deepEqual(server.calls[0].body, { mfa_token: 'mfa-1' });
    assert.deepEqual(list(asked[0].publicKey.allowCredentials[0].id), [1, 2, 3]);
    const { mfa_token: token, factor, credential } = server.calls[1].body;
    assert.deepEqual([token, factor], ['mfa-1', 'passkey']);
    assert.deepEqual(credential, credentialToJSON(assertionCredential()));
    assert.deepEqual(annex.logins, ['alice']);
  });
});

// --- step-up ------------------------------------------------------------------------------------------

describe('step-up', () => {
  it('exposes the methods of reauth_required, then reauthenticates with a password or a code', async () => {
    let fresh = false;
    const server = fakeServer({
      'DELETE /api/totp': () =>
        fresh
          ? noContent()
          : json(403, { error: { code: 'reauth_required', message: 'prove it is you', methods: ['password', 'totp'] } }),
      'POST /api/auth/reauth': (call) =>
        call.body.password === 'pw' || call.body.code === '123456'
          ? ((fresh = true), json(200, TOKEN_BODY))
          : json(401, { error: { code: 'invalid_credentials', message: 'no' } }),
    });
    const annex = client(server);
    const error = await annex.totp.disable().catch((e) => e);
    assert.equal(error.code, 'reauth_required');
    assert.equal(error.status, 403);
    assert.deepEqual(error.methods, ['password', 'totp']);
    await assert.rejects(annex.reauth({ password: 'wrong' }), { code: 'invalid_credentials' });
    await annex.reauth({ code: '123456' });
    await annex.totp.disable();
    assert.deepEqual(server.calls.filter((c) => c.url.endsWith('/reauth')).map((c) => c.body), [{ password: 'wrong' }, { code: '123456' }]);
    assert.deepEqual(annex.logins, [], 'a step-up is no new login');
  });

  it('proves with a passkey: the ceremony, then the credential', async () => {
    const server = fakeServer({
      'POST /api/passkeys/login/options': () => json(200, { ...REQUEST, allowCredentials: [] }),
      'POST /api/auth/reauth': () => json(200, TOKEN_BODY),
    });
    const credentials = { create: () => assert.fail(), get: async () => assertionCredential() };
    await client(server, { credentials }).reauth({ passkey: true });
    assert.deepEqual(server.paths(), ['POST /api/passkeys/login/options', 'POST /api/auth/reauth']);
    assert.deepEqual(server.calls[1].body, { credential: credentialToJSON(assertionCredential()) });
  });

  it('keeps the refresh token when a bearer step-up answers only a new access token', async () => {
    const server = fakeServer({
      'POST /api/auth/login': () => json(200, { ...TOKEN_BODY, access_token: 'a1', refresh_token: 'r1' }),
      'POST /api/auth/reauth': () => json(200, { ...TOKEN_BODY, access_token: 'a2' }),
      'POST /api/auth/logout': () => noContent(),
    });
    const annex = createClient({ baseUrl: 'https://api.example.test', fetch: server.fetch, locks: null, events: null, credentials: null });
    await annex.login('alice', 'pw');
    await annex.reauth({ password: 'pw' });
    await annex.logout();
    const logout = server.calls.at(-1);
    assert.equal(logout.headers.get('Authorization'), 'Bearer a2');
    assert.deepEqual(logout.body, { refresh_token: 'r1' });
  });
});

// --- registration -------------------------------------------------------------------------------------

describe('registration', () => {
  it('reads the mode and sends the invitation only when there is one', async () => {
    const server = fakeServer({
      'GET /api/auth/registration': () => json(200, { registration: 'invite' }),
      'POST /api/auth/register': () => json(201, TOKEN_BODY),
    });
    const annex = client(server);
    assert.equal(await annex.registration(), 'invite');
    await annex.register({ username: 'alice', email: 'a@example.test', password: 'pw', invite: 'inv-1' });
    await annex.register({ username: 'alice', email: 'a@example.test', password: 'pw' });
    assert.deepEqual(server.calls[1].body, { username: 'alice', email: 'a@example.test', password: 'pw', invite: 'inv-1' });
    assert.deepEqual(server.calls[2].body, { username: 'alice', email: 'a@example.test', password: 'pw' });
  });

  it('rejects with registration_closed as the server says', async () => {
    const server = fakeServer({
      'POST /api/auth/register': () => json(403, { error: { code: 'registration_closed', message: 'closed' } }),
    });
    await assert.rejects(client(server).register({ username: 'a', email: 'a@b.test', password: 'pw' }), {
      status: 403,
      code: 'registration_closed',
    });
  });
});

// --- passkeys -------------------------------------------------------------------------------------------

describe('passkeys', () => {
  it('registers: options, navigator.credentials.create, then the credential and the name', async () => {
    const server = fakeServer({
      'POST /api/passkeys/register/options': () => json(200, CREATION),
      'POST /api/passkeys/register': (call) =>
        json(201, { id: 7, name: call.body.name, created_at: 'now', last_used_at: null, backed_up: false }),
    });
    const created = [];
    const credentials = { create: async (options) => (created.push(options), attestation()), get: () => assert.fail() };
    const annex = client(server, { credentials });
    assert.equal(annex.passkeys.supported(), true);
    const passkey = await annex.passkeys.register({ name: 'Laptop' });
    assert.deepEqual(passkey, { id: 7, name: 'Laptop', created_at: 'now', last_used_at: null, backed_up: false });
    assert.equal(new TextDecoder().decode(created[0].publicKey.user.id), 'user-handle');
    assert.deepEqual(server.calls[1].body, { credential: credentialToJSON(attestation()), name: 'Laptop' });
  });

  it('accepts options wrapped as {publicKey}', async () => {
    const server = fakeServer({
      'POST /api/passkeys/register/options': () => json(200, { publicKey: CREATION }),
      'POST /api/passkeys/register': () => json(201, { id: 1, name: 'Passkey' }),
    });
    const created = [];
    const credentials = { create: async (options) => (created.push(options), attestation()), get: () => assert.fail() };
    await client(server, { credentials }).passkeys.register();
    assert.equal(new TextDecoder().decode(created[0].publicKey.challenge), 'challenge');
    assert.deepEqual(server.calls[1].body, { credential: credentialToJSON(attestation()) });
  });

  it('signs in without a username: discoverable options, get, login', async () => {
    const server = fakeServer({
      'POST /api/passkeys/login/options': () => json(200, { ...REQUEST, allowCredentials: [] }),
      'POST /api/passkeys/login': () => json(200, TOKEN_BODY),
    });
    const credentials = { create: () => assert.fail(), get: async () => assertionCredential() };
    const annex = client(server, { credentials });
    assert.equal((await annex.passkeys.login()).username, 'alice');
    assert.deepEqual(server.calls[0].body, {});
    assert.deepEqual(server.calls[1].body, { credential: credentialToJSON(assertionCredential()) });
    assert.deepEqual(annex.logins, ['alice']);
  });

  it('turns the browser\'s refusals into AnnexErrors with the DOMException as cause', async () => {
    const server = fakeServer({
      'POST /api/passkeys/login/options': () => json(200, REQUEST),
      'POST /api/passkeys/register/options': () => json(200, CREATION),
    });
    for (const [name, code] of [
      ['NotAllowedError', 'passkey_cancelled'],
      ['InvalidStateError', 'passkey_exists'],
      ['SecurityError', 'passkey_unsupported'],
      ['UnknownError', 'passkey_failed'],
    ]) {
      const refusal = new DOMException('refused', name);
      const credentials = { create: async () => { throw refusal; }, get: async () => { throw refusal; } };
      const annex = client(server, { credentials });
      const error = await annex.passkeys.register().catch((e) => e);
      assert.ok(error instanceof AnnexError, name);
      assert.deepEqual([error.status, error.code, error.cause], [0, code, refusal]);
      await assert.rejects(annex.passkeys.login(), { code });
    }
    const aborted = new DOMException('aborted', 'AbortError');
    const annex = client(server, { credentials: { create: async () => { throw aborted; }, get: () => {} } });
    await assert.rejects(annex.passkeys.register(), (error) => error === aborted);
  });

  it('says passkey_unsupported without WebAuthn, before asking the server anything', async () => {
    const server = fakeServer({ 'POST /api/passkeys/login/options': () => json(200, REQUEST) });
    const annex = client(server, { credentials: null });
    assert.equal(annex.passkeys.supported(), false);
    await assert.rejects(annex.passkeys.login(), { status: 0, code: 'passkey_unsupported' });
    await assert.rejects(annex.passkeys.register(), { status: 0, code: 'passkey_unsupported' });
    await assert.rejects(annex.mfa({ token: 'mfa-1', factor: 'passkey' }), { code: 'passkey_unsupported' });
    assert.equal(server.calls.length, 0);
  });

  it('lists, renames and removes', async () => {
    const server = fakeServer({
      'GET /api/passkeys': () => json(200, { passkeys: [{ id: 3, name: 'Phone' }] }),
      'PATCH /api/passkeys/3': (call) => json(200, { id: 3, name: call.body.name }),
      'DELETE /api/passkeys/3': () => noContent(),
    });
    const annex = client(server);
    const [phone] = await annex.passkeys.list();
    assert.deepEqual(await annex.passkeys.rename(phone, 'Old phone'), { id: 3, name: 'Old phone' });
    await annex.passkeys.remove(3);
    assert.deepEqual(server.paths(), ['GET /api/passkeys', 'PATCH /api/passkeys/3', 'DELETE /api/passkeys/3']);
    assert.equal(server.calls[2].headers.get('X-CSRF-Token'), 'c1');
  });
});

// --- totp -------------------------------------------------------------------------------------------------

describe('totp', () => {
  it('reads the status, sets up, confirms, regenerates and disables', async () => {
    const codes = Array.from({ length: 10 }, (_, index) => `code-${index}`);
    const server = fakeServer({
      'GET /api/totp': () => json(200, { enabled: false, recovery_codes_left: 0 }),
      'POST /api/totp/setup': () => json(200, { secret: 'JBSWY3DPEHPK3PXP', otpauth_uri: 'otpauth://totp/Annex:alice?secret=JBSWY3DPEHPK3PXP' }),
      'POST /api/totp/confirm': () => json(200, { recovery_codes: codes }),
      'POST /api/totp/recovery-codes': () => json(200, { recovery_codes: codes.slice().reverse() }),
      'DELETE /api/totp': () => noContent(),
    });
    const annex = client(server);
    assert.deepEqual(await annex.totp.status(), { enabled: false, recovery_codes_left: 0 });
    assert.equal((await annex.totp.setup()).secret, 'JBSWY3DPEHPK3PXP');
    assert.deepEqual(await annex.totp.confirm('123456'), codes);
    assert.deepEqual(await annex.totp.regenerateRecoveryCodes(), codes.slice().reverse());
    await annex.totp.disable();
    assert.deepEqual(server.calls[2].body, { code: '123456' });
  });
});
