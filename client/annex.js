/**
 * annex.js: a dependency-free browser client for the Annex API (docs/api.md).
 *
 * One ES module, no build step. Import it from any static page:
 *
 * ```html
 * <script type="module">
 *   import { login, me, AnnexError } from '/annex.js';
 *   const user = await login('alice', 'violet-Kettle-42-harbor');
 * </script>
 * ```
 *
 * The named exports act on a default client that talks to the page's own origin with the cookie
 * transport: the tokens stay in HttpOnly cookies, every unsafe request (POST, PUT, PATCH, DELETE)
 * echoes the readable CSRF cookie in `X-CSRF-Token`, and a request that fails with
 * `401 token_expired` refreshes the session once and is retried. Concurrent requests that hit an
 * expired token share one refresh, across the tabs of one browser too (Web Locks), because a
 * second refresh with an already rotated token would count as reuse.
 *
 * For an API on another origin, call {@link configure} or build a client with
 * {@link createClient} (`baseUrl`, and see docs/frontend.md).
 *
 * Every failure rejects with an {@link AnnexError}. The window receives `annex:login`
 * (`detail.user`) after a login or registration and `annex:logout` (`detail.reason`) when the
 * session ends, here or in another tab.
 *
 * Second factors and step-up (docs/api-v2.md, "The sign-in model"): a sign-in of a user with a
 * second factor rejects with `mfa_required`, whose `error.mfa` holds the challenge; finish it
 * with {@link mfa}. A sensitive action may reject with `reauth_required`: call {@link reauth},
 * then retry it.
 *
 * ```js
 * try {
 *   await login(username, password);
 * } catch (error) {
 *   if (error.code !== 'mfa_required') throw error;
 *   // ask for a code, or offer a passkey when error.mfa.factors includes 'passkey'
 *   await mfa({ token: error.mfa.token, factor: 'totp', code });
 * }
 * ```
 *
 * Passkeys ({@link passkeys}) wrap `navigator.credentials` with the WebAuthn JSON forms the
 * server speaks (binary values as base64url without padding).
 *
 * Other sign-in methods: {@link oidc} (buttons for OpenID Connect providers, the linked
 * identities) and {@link emailLink} (a link or a code by mail). An account locked by wrong
 * passwords still signs in from the browsers it knows ({@link devices}), and by the link of the
 * mail it was sent ({@link confirmLoginLink}).
 *
 * @module annex
 */

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CSRF_COOKIES = ['__Host-annex_csrf', 'annex_csrf'];
const CSRF_HEADER = 'X-CSRF-Token';
const LOCK_PREFIX = 'annex:refresh:';
const REFRESHED_KEY = 'annex:refreshed-at:';
const LOGOUT_KEY = 'annex:logout:';
const TOKENS_KEY = 'annex:tokens:';
// Same-origin marker of the last refresh: another tab's localStorage write may reach this tab
// only after the Web Lock has passed to it, while cookies are read synchronously from the browser.
const REFRESHED_COOKIE = 'annex_refreshed_at';

/**
 * What every failed call rejects with.
 *
 * `status` is the HTTP status (0 when the server could not be reached), `code` the contract's
 * error code (`validation_error`, `invalid_credentials`, `token_expired`, …; `network_error`
 * without an answer, `http_error` for an answer that is not the API's JSON error), `message` a
 * human-readable text and `fields` the per-field messages of a `validation_error`
 * (`{}` otherwise). A `401 mfa_required` carries the challenge in `mfa` (null otherwise); a
 * `403 reauth_required` names in `methods` the proofs {@link reauth} accepts (`[]` otherwise).
 *
 * Passkey ceremonies that end in the browser reject with status 0 and `passkey_cancelled` (the
 * person dismissed the prompt, or it timed out), `passkey_exists` (this authenticator already
 * holds a passkey of the account), `passkey_unsupported` (no WebAuthn here, or not on this
 * origin) or `passkey_failed`; the browser's DOMException is the `cause`.
 */
export class AnnexError extends Error {
  /**
   * @param {number} status HTTP status, 0 for a network failure.
   * @param {string} code Error code from the contract.
   * @param {string} message Human-readable message.
   * @param {Record<string, string>} [fields] Field name → message (validation errors).
   * @param {{cause?: unknown}} [options]
   */
  constructor(status, code, message, fields = {}, options = undefined) {
    super(message || code, options);
    this.name = 'AnnexError';
    /** @type {number} */
    this.status = status;
    /** @type {string} */
    this.code = code;
    /** @type {Record<string, string>} */
    this.fields = fields || {};
    /** @type {MfaChallenge | null} */
    this.mfa = null;
    /** @type {string[]} */
    this.methods = [];
  }
}

/**
 * @typedef {object} MfaChallenge The second step a sign-in asks for (`error.mfa` of an
 *   `mfa_required` rejection).
 * @property {string} token Opaque and single-use: pass it to {@link mfa}. Valid `expiresIn`
 *   seconds; five wrong codes end it (`invalid_token`).
 * @property {string[]} factors What the user can answer with: `totp` (an authenticator code),
 *   `recovery_code`, `passkey`.
 * @property {number} expiresIn Seconds.
 */

/**
 * Whether `next` may be followed after a login: a path on this site ("/" but not "//", no
 * backslash, no control character). Anything else is replaced by `fallback`.
 *
 * @param {string | null | undefined} next A `?next=` value.
 * @param {string} [fallback='/']
 * @returns {string}
 */
export function safeNext(next, fallback = '/') {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//')) return fallback;
  // Browsers read "\" as "/" ("/\evil.example" is "//evil.example"); control characters are dropped.
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return fallback;
  return next;
}

// --- WebAuthn JSON forms ---------------------------------------------------------------------------

/**
 * Bytes from base64url (padding and the `+/` alphabet are accepted too).
 *
 * @param {string} text
 * @returns {ArrayBuffer}
 */
export function base64urlToBuffer(text) {
  const base64 = String(text).replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes.buffer;
}

/**
 * Base64url without padding, the WebAuthn JSON encoding of binary values.
 *
 * @param {ArrayBuffer | ArrayBufferView} buffer
 * @returns {string}
 */
export function bufferToBase64url(buffer) {
  const bytes = ArrayBuffer.isView(buffer)
    ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    : new Uint8Array(buffer);
  let binary = '';
  for (let index = 0; index < bytes.length; index += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(index, index + 0x8000));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The browser's PublicKeyCredential, when it has WebAuthn. */
function publicKeyCredential() {
  return typeof PublicKeyCredential !== 'undefined' ? PublicKeyCredential : null;
}

const withBinaryId = (descriptor) => ({ ...descriptor, id: base64urlToBuffer(descriptor.id) });

/**
 * `PublicKeyCredentialCreationOptionsJSON` (what `/api/passkeys/register/options` answers) as
 * the options of `navigator.credentials.create({publicKey})`. The browser's own
 * `PublicKeyCredential.parseCreationOptionsFromJSON` when it has one.
 *
 * @param {Record<string, any>} options
 * @returns {PublicKeyCredentialCreationOptions}
 */
export function creationOptionsFromJSON(options) {
  const native = publicKeyCredential();
  if (native && typeof native.parseCreationOptionsFromJSON === 'function') {
    return native.parseCreationOptionsFromJSON(/** @type {any} */ (options));
  }
  const { challenge, user, excludeCredentials, ...rest } = options;
  return /** @type {PublicKeyCredentialCreationOptions} */ ({
    ...rest,
    challenge: base64urlToBuffer(challenge),
    user: { ...user, id: base64urlToBuffer(user.id) },
    ...(excludeCredentials ? { excludeCredentials: excludeCredentials.map(withBinaryId) } : {}),
  });
}

/**
 * `PublicKeyCredentialRequestOptionsJSON` (what `/api/passkeys/login/options` answers) as the
 * options of `navigator.credentials.get({publicKey})`. The browser's own
 * `PublicKeyCredential.parseRequestOptionsFromJSON` when it has one.
 *
 * @param {Record<string, any>} options
 * @returns {PublicKeyCredentialRequestOptions}
 */
export function requestOptionsFromJSON(options) {
  const native = publicKeyCredential();
  if (native && typeof native.parseRequestOptionsFromJSON === 'function') {
    return native.parseRequestOptionsFromJSON(/** @type {any} */ (options));
  }
  const { challenge, allowCredentials, ...rest } = options;
  return /** @type {PublicKeyCredentialRequestOptions} */ ({
    ...rest,
    challenge: base64urlToBuffer(challenge),
    ...(allowCredentials ? { allowCredentials: allowCredentials.map(withBinaryId) } : {}),
  });
}

/**
 * A credential from `navigator.credentials.create()` or `.get()` as `RegistrationResponseJSON` or
 * `AuthenticationResponseJSON`, what the server's routes take. The credential's own `toJSON()`
 * when the browser has it.
 *
 * @param {any} credential A PublicKeyCredential.
 * @returns {Record<string, any>}
 */
export function credentialToJSON(credential) {
  if (typeof credential.toJSON === 'function') return credential.toJSON();
  const response = credential.response;
  const b64 = (value) => (value ? bufferToBase64url(value) : undefined);
  /** @type {Record<string, any>} */
  const json = {
    id: credential.id,
    rawId: bufferToBase64url(credential.rawId),
    type: credential.type,
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
    response: { clientDataJSON: bufferToBase64url(response.clientDataJSON) },
  };
  if (credential.authenticatorAttachment) json.authenticatorAttachment = credential.authenticatorAttachment;
  if ('attestationObject' in response) {
    Object.assign(json.response, {
      attestationObject: bufferToBase64url(response.attestationObject),
      transports: response.getTransports?.() ?? [],
      authenticatorData: b64(response.getAuthenticatorData?.()),
      publicKey: b64(response.getPublicKey?.()),
      publicKeyAlgorithm: response.getPublicKeyAlgorithm?.(),
    });
  } else {
    Object.assign(json.response, {
      authenticatorData: bufferToBase64url(response.authenticatorData),
      signature: bufferToBase64url(response.signature),
      userHandle: b64(response.userHandle),
    });
  }
  for (const [key, value] of Object.entries(json.response)) if (value === undefined) delete json.response[key];
  return json;
}

/** The browser's WebAuthn failures as AnnexErrors (an abort by the caller's signal stays as it is). */
function passkeyError(cause) {
  if (cause instanceof AnnexError || (cause && cause.name === 'AbortError')) return cause;
  const [code, text] =
    {
      NotAllowedError: ['passkey_cancelled', 'the passkey prompt was dismissed or timed out'],
      InvalidStateError: ['passkey_exists', 'this authenticator already holds a passkey for the account'],
      NotSupportedError: ['passkey_unsupported', 'this browser cannot use passkeys here'],
      SecurityError: ['passkey_unsupported', 'passkeys are not allowed on this address'],
    }[cause && cause.name] || ['passkey_failed', (cause && cause.message) || 'the passkey did not work'];
  return new AnnexError(0, code, text, {}, { cause });
}

/** Options answered by the server: the JSON form itself, or wrapped as `{publicKey}`. */
const unwrapOptions = (data) => (data && typeof data === 'object' && data.publicKey ? data.publicKey : data);

/**
 * @typedef {object} ClientOptions
 * @property {string} [baseUrl] Origin (and optional path prefix) of the Annex server, e.g.
 *   `https://api.example.com`. Empty (default): the page's own origin.
 * @property {'cookie' | 'bearer'} [transport] `cookie` (default for the page's own origin):
 *   HttpOnly cookies plus the CSRF header. `bearer` (default when `baseUrl` is another origin):
 *   tokens from the response body, sent as `Authorization: Bearer`, kept in memory or in `storage`.
 * @property {string | string[]} [csrfCookie] Name(s) of the CSRF cookie, first found wins
 *   (default `__Host-annex_csrf`, then `annex_csrf` for `cookie_secure = false`).
 * @property {Storage | null} [storage] Where the bearer transport keeps its tokens (default: memory
 *   only; `sessionStorage` survives reloads of one tab). The cookie transport uses it only to tell
 *   other tabs when it refreshed or logged out (default `localStorage`); never a secret there.
 * @property {{request: Function} | null} [locks] Web Locks used to refresh once across tabs
 *   (default `navigator.locks`; `null` refreshes once per page only).
 * @property {EventTarget | null} [events] Where `annex:login` / `annex:logout` are dispatched
 *   (default `window`).
 * @property {typeof fetch} [fetch] The fetch function (default the global one).
 * @property {() => string} [cookies] Returns the page's cookies (default `document.cookie`).
 * @property {{create: Function, get: Function} | null} [credentials] Runs the passkey
 *   ceremonies (default `navigator.credentials` where the browser has WebAuthn, else null).
 */

/**
 * @typedef {object} User
 * @property {number} id
 * @property {string} username
 * @property {string} email
 * @property {boolean} email_verified
 * @property {string[]} roles
 * @property {string} created_at RFC 3339 UTC.
 */

/**
 * @typedef {User & {display_name: ?string, bio: ?string, avatar_url: ?string}} Profile
 *   The account fields, the built-in profile fields and the site's custom fields.
 */

/**
 * @typedef {object} Session
 * @property {number} id
 * @property {string} created_at
 * @property {string} last_used_at
 * @property {?string} user_agent
 * @property {?string} ip
 * @property {boolean} current True for the session of this browser.
 */

/**
 * @typedef {object} Device A browser the account has signed in from, remembered by its
 *   device cookie (HttpOnly, so a page cannot read it). While the account is locked by wrong
 *   passwords, a remembered browser still signs in with the right one.
 * @property {number} id
 * @property {string} created_at The first sign-in from it.
 * @property {string} last_used_at The latest sign-in from it.
 * @property {?string} user_agent
 * @property {string} browser A short name for `user_agent`, e.g. `Firefox on Linux`.
 * @property {?string} ip The address of the latest sign-in.
 * @property {boolean} current True for this browser.
 */

/**
 * @typedef {object} ActivityEvent
 * @property {string} type `register`, `login`, `login_failed`, `refresh_reuse`, `logout`,
 *   `logout_all`, `session_revoked`, `password_changed`, `password_reset`, `email_verified`,
 *   `account_locked`, `device_forgotten`, and the other plugins' events.
 * @property {string} at
 * @property {?string} ip
 * @property {?string} user_agent
 */

/**
 * @typedef {object} DataItem
 * @property {string} key
 * @property {*} value
 * @property {string} updated_at
 * @property {?string} etag Pass it back as `ifMatch` to write only over this version.
 * @property {boolean} [created] On `data.put`: true when the key was new.
 */

/**
 * @typedef {object} Passkey
 * @property {number | string} id
 * @property {string} name
 * @property {string} created_at
 * @property {?string} last_used_at
 * @property {boolean} backed_up True when the passkey is synced (it survives losing the device).
 */

/**
 * @typedef {object} TotpStatus
 * @property {boolean} enabled Whether sign-ins ask for an authenticator code.
 * @property {number} recovery_codes_left
 */

/**
 * @typedef {object} TotpSetup A pending authenticator secret, on until {@link totp}.confirm.
 * @property {string} secret Base32, for typing into an app by hand.
 * @property {string} otpauth_uri `otpauth://totp/…`, for a QR code.
 */

/**
 * @typedef {object} OidcProvider An OpenID Connect provider the site signs in with.
 * @property {string} name In the URLs (`/api/oidc/<name>/start`).
 * @property {string} label What a button says ("Sign in with <label>").
 */

/**
 * @typedef {object} OidcIdentity A provider account linked to the signed-in user.
 * @property {number} id
 * @property {string} provider The provider's `name`.
 * @property {?string} email The address the provider gave.
 * @property {string} created_at When it was linked.
 */

/**
 * @typedef {{password: string} | {code: string} | {credential: Record<string, any>} | {passkey: true}} Proof
 *   What {@link reauth} sends: the password, an authenticator code, a passkey's
 *   AuthenticationResponseJSON, or `{passkey: true}` to run the passkey ceremony here.
 */

/**
 * @typedef {object} RequestOptions
 * @property {string} [method='GET']
 * @property {*} [body] A JSON value (serialised, with `Content-Type: application/json`), or a
 *   string / FormData / Blob / URLSearchParams / ArrayBuffer sent as it is.
 * @property {HeadersInit} [headers] Extra headers.
 * @property {AbortSignal} [signal]
 * @property {boolean} [refresh=true] Refresh and retry once on `401 token_expired`.
 * @property {boolean} [full=false] Resolve to `{status, headers, data}` instead of the data.
 */

const hasWindow = typeof window !== 'undefined';

function defaultStorage() {
  try {
    return typeof localStorage !== 'undefined' ? localStorage : null;
  } catch {
    return null; // storage disabled (privacy settings, sandboxed frame)
  }
}

function isRawBody(body) {
  return (
    typeof body === 'string' ||
    (typeof FormData !== 'undefined' && body instanceof FormData) ||
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams) ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body)
  );
}

function readCookie(cookieString, name) {
  for (const part of cookieString.split(';')) {
    const index = part.indexOf('=');
    if (index < 0) continue;
    if (part.slice(0, index).trim() === name) {
      const value = part.slice(index + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

function newEvent(type, detail) {
  if (typeof CustomEvent === 'function') return new CustomEvent(type, { detail });
  const event = new Event(type);
  event.detail = detail;
  return event;
}

function pageOrigin() {
  return hasWindow && window.location ? window.location.origin : '';
}

/**
 * Build a client. Most pages use the default one through the named exports; build your own for
 * a second server or other settings.
 *
 * @param {ClientOptions} [initial]
 */
export function createClient(initial = {}) {
  /** @type {Required<ClientOptions> & {origin: string}} */
  const config = {};
  let inflight = null; // this page's refresh in progress, shared by every caller
  let lastRefreshAt = 0; // when this page last refreshed (ms since the epoch)
  let memoryTokens = null; // bearer transport without storage

  function setOptions(options) {
    const merged = { ...config, ...options };
    const baseUrl = String(merged.baseUrl || '').replace(/\/+$/, '');
    const here = pageOrigin();
    let origin = here;
    if (baseUrl) {
      try {
        origin = new URL(baseUrl, here || undefined).origin;
      } catch {
        throw new TypeError(`annex: baseUrl ${baseUrl} is not a URL`);
      }
    }
    Object.assign(config, {
      baseUrl,
      origin,
      explicitTransport: options.transport || merged.explicitTransport,
      transport:
        options.transport || merged.explicitTransport || (baseUrl && origin !== here ? 'bearer' : 'cookie'),
      csrfCookie: [].concat(merged.csrfCookie || CSRF_COOKIES),
      storage: 'storage' in merged ? merged.storage : undefined,
      locks:
        'locks' in merged
          ? merged.locks
          : typeof navigator !== 'undefined' && navigator.locks
            ? navigator.locks
            : null,
      events: 'events' in merged ? merged.events : hasWindow ? window : null,
      fetch: merged.fetch || ((...args) => globalThis.fetch(...args)),
      cookies: merged.cookies || (() => (typeof document !== 'undefined' ? document.cookie : '')),
      credentials:
        'credentials' in merged
          ? merged.credentials
          : publicKeyCredential() && typeof navigator !== 'undefined' && navigator.credentials
            ? navigator.credentials
            : null,
      setCookie:
        merged.setCookie ||
        ((cookie) => {
          if (typeof document !== 'undefined') document.cookie = cookie;
        }),
    });
    if (!['cookie', 'bearer'].includes(config.transport)) {
      throw new TypeError(`annex: transport must be "cookie" or "bearer", not ${config.transport}`);
    }
  }

  // --- small helpers -----------------------------------------------------------------------------

  function storage() {
    // The cookie transport stores timestamps only; the bearer one stores tokens only where told.
    if (config.storage !== undefined) return config.storage;
    return config.transport === 'cookie' ? defaultStorage() : null;
  }

  function storageGet(key) {
    try {
      return storage()?.getItem(key + config.origin) ?? null;
    } catch {
      return null;
    }
  }

  function storageSet(key, value) {
    try {
      if (value === null) storage()?.removeItem(key + config.origin);
      else storage()?.setItem(key + config.origin, value);
    } catch {
      // quota or privacy mode: the in-page state still works
    }
  }

  function emit(type, detail) {
    config.events?.dispatchEvent(newEvent(type, detail));
  }

  function csrfToken() {
    const cookies = config.cookies();
    for (const name of config.csrfCookie) {
      const value = readCookie(cookies, name);
      if (value) return value;
    }
    return null;
  }

  function tokens() {
    if (config.transport !== 'bearer') return null;
    if (storage()) {
      try {
        return JSON.parse(storageGet(TOKENS_KEY) || 'null');
      } catch {
        return null;
      }
    }
    return memoryTokens;
  }

  function keepTokens(body) {
    if (config.transport !== 'bearer') return;
    // A step-up may answer a fresh access token without a new refresh token: keep the old one.
    const refreshToken = (body && body.refresh_token) || (body && body.access_token ? tokens()?.refresh : null);
    const value = body && body.access_token ? { access: body.access_token, refresh: refreshToken } : null;
    if (storage()) storageSet(TOKENS_KEY, value && JSON.stringify(value));
    else memoryTokens = value;
  }

  function refreshedAt() {
    const marker = config.transport === 'cookie' ? Number(readCookie(config.cookies(), REFRESHED_COOKIE)) : 0;
    return Math.max(lastRefreshAt, Number(storageGet(REFRESHED_KEY)) || 0, marker || 0);
  }

  function markRefreshed(at) {
    lastRefreshAt = at;
    storageSet(REFRESHED_KEY, String(at));
    if (config.transport !== 'cookie' || config.origin !== pageOrigin()) return;
    const secure = hasWindow && window.location?.protocol === 'https:' ? '; Secure' : '';
    config.setCookie(`${REFRESHED_COOKIE}=${at}; Path=/; Max-Age=86400; SameSite=Strict${secure}`);
  }

  function sessionEnded(reason) {
    keepTokens(null);
    storageSet(LOGOUT_KEY, String(Date.now()));
    emit('annex:logout', { reason });
  }

  // --- the request pipeline ----------------------------------------------------------------------

  async function send(path, options) {
    const method = (options.method || 'GET').toUpperCase();
    const headers = new Headers(options.headers || {});
    if (!headers.has('Accept')) headers.set('Accept', 'application/json');
    let body = options.body;
    if (body !== undefined && !isRawBody(body)) {
      body = JSON.stringify(body);
      if (!headers.has('Content-Type')) headers.set('Content-Type', 'application/json');
    } else if (typeof body === 'string' && !headers.has('Content-Type')) {
      headers.set('Content-Type', 'application/json');
    }
    if (config.transport === 'cookie') {
      const csrf = UNSAFE_METHODS.has(method) ? csrfToken() : null;
      if (csrf && !headers.has(CSRF_HEADER)) headers.set(CSRF_HEADER, csrf);
    } else {
      const access = tokens()?.access;
      if (access && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${access}`);
    }
    let response;
    try {
      response = await config.fetch(config.baseUrl + path, {
        method,
        headers,
        body,
        signal: options.signal,
        credentials: config.transport === 'cookie' ? 'include' : 'omit',
        cache: 'no-store',
        // Under the page's own policy, a page with Referrer-Policy: no-referrer (one opened from
        // a mailed link) would send `Origin: null` with same-origin POSTs, which Annex refuses
        // (csrf_failed). strict-origin sends the real Origin, and as Referer the origin only.
        referrerPolicy: 'strict-origin',
      });
    } catch (cause) {
      if (cause && cause.name === 'AbortError') throw cause;
      throw new AnnexError(0, 'network_error', 'the server could not be reached', {}, { cause });
    }
    const data = await parse(response);
    if (!response.ok) throw toError(response, data);
    return { status: response.status, headers: response.headers, data };
  }

  async function parse(response) {
    if (response.status === 204 || response.status === 304) return null;
    const text = await response.text();
    if (!text) return null;
    if ((response.headers.get('Content-Type') || '').includes('json')) {
      try {
        return JSON.parse(text);
      } catch {
        return text;
      }
    }
    return text;
  }

  function toError(response, data) {
    const error = data && typeof data === 'object' && data.error;
    if (error && typeof error.code === 'string') {
      const failure = new AnnexError(response.status, error.code, error.message || error.code, error.fields || {});
      const mfa = error.mfa;
      if (mfa && typeof mfa === 'object' && typeof mfa.token === 'string') {
        const factors = Array.isArray(mfa.factors) ? mfa.factors : [];
        failure.mfa = { token: mfa.token, factors, expiresIn: Number(mfa.expires_in) || 0 };
      }
      if (Array.isArray(error.methods)) failure.methods = error.methods;
      return failure;
    }
    return new AnnexError(response.status, 'http_error', `HTTP ${response.status} ${response.statusText || ''}`.trim());
  }

  async function request(path, options = {}) {
    const startedAt = Date.now();
    try {
      return await send(path, options);
    } catch (error) {
      if (!(error instanceof AnnexError) || error.code !== 'token_expired' || options.refresh === false) throw error;
      await refreshOnce(startedAt);
      return send(path, options);
    }
  }

  /**
   * One refresh for every caller of this page, and one for every tab: under a Web Lock, a tab
   * that finds another one refreshed after its request started only retries.
   */
  function refreshOnce(since) {
    if (!inflight) {
      inflight = withLock(async () => {
        // Another tab (or an earlier call) refreshed since the request started: only retry. A
        // refresh in the very millisecond the request started already set the cookies it sent.
        if (refreshedAt() >= since) return;
        await doRefresh();
      }).finally(() => {
        inflight = null;
      });
    }
    return inflight;
  }

  async function withLock(task) {
    if (!config.locks) return task();
    return config.locks.request(LOCK_PREFIX + config.origin, { mode: 'exclusive' }, task);
  }

  async function doRefresh() {
    let options = { method: 'POST' };
    if (config.transport === 'bearer') {
      const refreshToken = tokens()?.refresh;
      if (!refreshToken) throw new AnnexError(401, 'unauthorized', 'not logged in');
      options = { method: 'POST', body: { refresh_token: refreshToken } };
    }
    try {
      const { data } = await send('/api/auth/refresh', options);
      keepTokens(data);
    } catch (error) {
      if (error instanceof AnnexError && error.status === 401) sessionEnded(error.code);
      throw error;
    }
    markRefreshed(Date.now());
  }

  /**
   * Call any route of the server (a third-party plugin's too) with the same credentials, CSRF
   * header, refresh-and-retry and errors as the built-in calls.
   *
   * @param {string} path Path on the server, e.g. `/api/hello`.
   * @param {RequestOptions} [options]
   * @returns {Promise<*>} The parsed JSON body (null for an empty answer), or
   *   `{status, headers, data}` with `full: true`.
   * @example
   * const greeting = await api('/api/hello', { method: 'POST', body: { name: 'Ada' } });
   */
  async function api(path, options = {}) {
    const result = await request(path, options);
    return options.full ? result : result.data;
  }

  function loggedIn(body) {
    keepTokens(body);
    storageSet(LOGOUT_KEY, null);
    emit('annex:login', { user: body.user });
    return body.user;
  }

  const dataItem = (result) => ({ ...result.data, etag: result.headers.get('ETag') });
  const keyPath = (key) => `/api/user/data/${encodeURIComponent(key)}`;
  const oidcPath = (provider) =>
    `/api/oidc/${encodeURIComponent(typeof provider === 'object' ? provider.name : provider)}`;
  const passkeyPath = (passkey) =>
    `/api/passkeys/${encodeURIComponent(typeof passkey === 'object' ? passkey.id : passkey)}`;

  function authenticator() {
    if (!config.credentials) {
      throw new AnnexError(0, 'passkey_unsupported', 'this browser cannot use passkeys');
    }
    return config.credentials;
  }

  /** Run navigator.credentials.create/get with the server's JSON options; the credential as JSON. */
  async function ceremony(kind, options, signal) {
    const credentials = authenticator();
    let credential;
    try {
      const publicKey =
        kind === 'create' ? creationOptionsFromJSON(unwrapOptions(options)) : requestOptionsFromJSON(unwrapOptions(options));
      credential = await credentials[kind]({ publicKey, signal });
    } catch (cause) {
      throw passkeyError(cause);
    }
    if (!credential) throw new AnnexError(0, 'passkey_cancelled', 'no passkey was chosen');
    return credentialToJSON(credential);
  }

  /** An AuthenticationResponseJSON for a sign-in, a second factor (`mfaToken`) or a step-up. */
  async function assertion(body, signal) {
    authenticator(); // no WebAuthn: say so before a challenge is made for nothing
    const options = await api('/api/passkeys/login/options', { method: 'POST', body, refresh: false, signal });
    return ceremony('get', options, signal);
  }

  const client = {
    /**
     * Change the client's options (see {@link ClientOptions}); unspecified ones keep their value.
     * @param {ClientOptions} options
     */
    configure(options) {
      setOptions(options || {});
      return client;
    },

    api,

    /**
     * Whether this browser seems to hold a session, without asking the server: the readable
     * CSRF cookie (cookie transport) or kept tokens (bearer). A hint for what to show, such as
     * the navigation's links; a session revoked elsewhere still looks held until a request
     * fails, so call {@link me} where it matters.
     * @returns {boolean}
     */
    hasSession() {
      return config.transport === 'cookie' ? csrfToken() !== null : Boolean(tokens()?.access);
    },

    /**
     * Create an account; the new user is logged in.
     * @param {{username: string, email: string, password: string, invite?: string}} account
     *   `invite`: the token of an invitation, where the site registers by invitation only.
     * @returns {Promise<User>} Rejects with `403 registration_closed` when the site takes no new
     *   accounts, or the invitation is missing, used, expired or for another address.
     */
    async register({ username, email, password, invite }) {
      const account = invite ? { username, email, password, invite } : { username, email, password };
      const body = await api('/api/auth/register', { method: 'POST', body: account, refresh: false });
      return loggedIn(body);
    },

    /**
     * Who may create an account on this site.
     * @returns {Promise<'open' | 'invite' | 'closed'>} `invite`: {@link register} needs an invitation.
     */
    async registration() {
      return (await api('/api/auth/registration', { refresh: false })).registration;
    },

    /**
     * Log in with a username (or email address) and password.
     * @param {string} username
     * @param {string} password
     * @returns {Promise<User>} Rejects with `invalid_credentials` when either is wrong, and with
     *   `401 mfa_required` when the user has a second factor: `error.mfa` is the challenge to
     *   finish with {@link mfa} (no session exists until then).
     */
    async login(username, password) {
      const body = await api('/api/auth/login', { method: 'POST', body: { username, password }, refresh: false });
      return loggedIn(body);
    },

    /**
     * Sign in with the link of an "account locked" mail (the account had too many wrong
     * passwords, so passwords from browsers it has not signed in from are refused). This
     * browser is remembered too: its password signs in again despite the lock. Call it from a
     * button, not on page load: mail scanners open links.
     * @param {string} token The `token` query parameter of the link.
     * @returns {Promise<User>} As {@link login}: rejects with `401 mfa_required` when the user
     *   has a second factor (finish with {@link mfa}), `400 invalid_token` for an unknown, used
     *   or expired link (one hour), `403 account_disabled`, `429 rate_limited`.
     */
    async confirmLoginLink(token) {
      return loggedIn(await api('/api/auth/login-link', { method: 'POST', body: { token }, refresh: false }));
    },

    /**
     * The second step of a sign-in that rejected with `mfa_required`.
     *
     * @param {{token: string, factor: 'totp' | 'recovery_code' | 'passkey', code?: string,
     *   credential?: Record<string, any>, signal?: AbortSignal}} answer `token` from `error.mfa`;
     *   `code` for `totp` and `recovery_code`; for `passkey`, an AuthenticationResponseJSON as
     *   `credential`, or nothing: the passkey ceremony runs here (the user's passkeys offered).
     * @returns {Promise<User>} Rejects with `401 invalid_code` for a wrong code (ask again) and
     *   `400 invalid_token` once the challenge is used up or expired (start the sign-in again).
     */
    async mfa({ token, factor, code, credential, signal }) {
      const body = { mfa_token: token, factor };
      if (factor === 'passkey') body.credential = credential || (await assertion({ mfa_token: token }, signal));
      else body.code = code;
      return loggedIn(await api('/api/auth/mfa', { method: 'POST', body, refresh: false, signal }));
    },

    /**
     * Prove again who is signed in, for an action that rejected with `403 reauth_required`
     * (`error.methods` says which proofs the user has); then retry the action.
     * @param {Proof} proof
     * @returns {Promise<void>} Rejects with `invalid_credentials` / `invalid_code` for a wrong proof.
     */
    async reauth(proof) {
      let body = proof;
      if (proof && 'passkey' in proof && proof.passkey) body = { credential: await assertion({}) };
      keepTokens(await api('/api/auth/reauth', { method: 'POST', body }));
    },

    /**
     * End this session (this browser). Never rejects for an already-ended session.
     * @returns {Promise<void>}
     */
    async logout() {
      const refreshToken = tokens()?.refresh;
      try {
        await api('/api/auth/logout', {
          method: 'POST',
          body: refreshToken ? { refresh_token: refreshToken } : undefined,
          refresh: false,
        });
      } catch (error) {
        if (!(error instanceof AnnexError) || error.status !== 401) throw error;
      }
      sessionEnded('logout');
    },

    /**
     * End every session of the user, on every device (asks for the password again).
     * @param {string} password
     * @returns {Promise<void>}
     */
    async logoutAll(password) {
      await api('/api/auth/logout-all', { method: 'POST', body: { password } });
      sessionEnded('logout_all');
    },

    /**
     * Refresh the session now (normally done for you on `token_expired`).
     * @returns {Promise<void>}
     */
    refresh() {
      return refreshOnce(Date.now() + 1);
    },

    /**
     * The logged-in user's account and profile.
     * @returns {Promise<Profile>} Rejects with status 401 when nobody is logged in.
     */
    me() {
      return api('/api/user/profile');
    },

    /**
     * Change profile fields: omitted ones stay, `null` clears one.
     * @param {Partial<Profile>} changes `display_name`, `bio`, `avatar_url`, custom fields.
     * @returns {Promise<Profile>} The updated profile; a `validation_error` names each bad field.
     */
    updateProfile(changes) {
      return api('/api/user/profile', { method: 'PATCH', body: changes });
    },

    /**
     * The user's active sessions.
     * @returns {Promise<Session[]>}
     */
    async sessions() {
      return (await api('/api/auth/sessions')).sessions;
    },

    /**
     * End one session. Another session than this one needs the password.
     * @param {number | Session} session An id, or an entry of {@link sessions}.
     * @param {string} [password] Required unless it is the current session.
     * @returns {Promise<void>}
     */
    async revokeSession(session, password) {
      const id = typeof session === 'object' ? session.id : session;
      const hadCsrf = config.transport === 'cookie' && csrfToken() !== null;
      await api(`/api/auth/sessions/${encodeURIComponent(id)}`, {
        method: 'DELETE',
        body: password === undefined ? undefined : { password },
      });
      const current = typeof session === 'object' ? session.current : hadCsrf && csrfToken() === null;
      if (current) sessionEnded('session_revoked');
    },

    /**
     * Every way the user can sign in, one entry per credential, from every enabled plugin:
     * `"password"`, `"passkey"` once per passkey, `"oidc:<provider>"`… An account without
     * `"password"` sets one through {@link requestPasswordReset}.
     * @returns {Promise<string[]>}
     */
    async signInMethods() {
      return (await api('/api/auth/methods')).methods;
    },

    /**
     * The browsers the user has signed in from, most recently used first.
     * @returns {Promise<Device[]>}
     */
    async devices() {
      return (await api('/api/auth/devices')).devices;
    },

    /**
     * Forget a remembered browser: it no longer signs in while the account is locked, and its
     * next sign-in is mailed as a new device's. Its sessions go on (see {@link revokeSession}).
     * @param {number | Device} device An id, or an entry of {@link devices}.
     * @returns {Promise<void>} Rejects with `404 not_found` for a device the user does not have.
     */
    async forgetDevice(device) {
      const id = typeof device === 'object' ? device.id : device;
      await api(`/api/auth/devices/${encodeURIComponent(id)}`, { method: 'DELETE' });
    },

    /**
     * The user's security log, newest first (at most 100 entries).
     * @returns {Promise<ActivityEvent[]>}
     */
    async activity() {
      return (await api('/api/auth/activity')).events;
    },

    /**
     * Change the password; every other session ends, this one stays.
     * @param {string} currentPassword
     * @param {string} newPassword
     * @returns {Promise<void>}
     */
    async changePassword(currentPassword, newPassword) {
      await api('/api/auth/password', {
        method: 'POST',
        body: { current_password: currentPassword, new_password: newPassword },
      });
    },

    /**
     * Mail a password-reset link (the answer is the same whether the address has an account).
     * @param {string} email
     * @returns {Promise<void>}
     */
    async requestPasswordReset(email) {
      await api('/api/auth/password-reset', { method: 'POST', body: { email }, refresh: false });
    },

    /**
     * Set a new password with the token of a reset link; every session of the user ends.
     * @param {string} token The `token` query parameter of the link.
     * @param {string} newPassword
     * @returns {Promise<void>} Rejects with `invalid_token` for a used, unknown or expired token.
     */
    async confirmPasswordReset(token, newPassword) {
      await api('/api/auth/password-reset/confirm', {
        method: 'POST',
        body: { token, new_password: newPassword },
        refresh: false,
      });
    },

    /**
     * Mail the logged-in user a link that confirms their address.
     * @returns {Promise<void>}
     */
    async requestEmailVerification() {
      await api('/api/auth/verify-email', { method: 'POST' });
    },

    /**
     * Confirm the address with the token of a verification link.
     * @param {string} token
     * @returns {Promise<void>}
     */
    async confirmEmail(token) {
      await api('/api/auth/verify-email/confirm', { method: 'POST', body: { token }, refresh: false });
    },

    /**
     * Ask to move the account to another address: a link is mailed to `newEmail` and a notice
     * to the current one; nothing changes until the link is used ({@link confirmEmailChange}).
     * Asking again ends the earlier link.
     * @param {string} newEmail
     * @param {Proof} [proof] Sent in the same request when the sign-in is not recent; without
     *   one an old sign-in rejects with `403 reauth_required` (then {@link reauth} and retry).
     * @returns {Promise<void>} Rejects with `409 email_taken` when another account has the
     *   address, and a `validation_error` on `new_email` for a bad address or the account's own.
     */
    async changeEmail(newEmail, proof) {
      let extra = proof || {};
      if ('passkey' in extra && extra.passkey) extra = { credential: await assertion({}) };
      await api('/api/auth/email', { method: 'POST', body: { ...extra, new_email: newEmail } });
    },

    /**
     * Make the address a change link was mailed to the account's (it needs no session: the link
     * is the proof). Call it from a button, not on page load: mail scanners open links.
     * @param {string} token The `token` query parameter of the link.
     * @returns {Promise<void>} Rejects with `400 invalid_token` for an unknown, used, expired or
     *   superseded link, and `409 email_taken` when another account took the address meanwhile.
     */
    async confirmEmailChange(token) {
      await api('/api/auth/email/confirm', { method: 'POST', body: { token }, refresh: false });
    },

    /**
     * Everything every plugin keeps about the user, one section per plugin.
     * @returns {Promise<Record<string, object>>}
     */
    exportAccount() {
      return api('/api/user/export');
    },

    /**
     * Delete the account and all its data (asks for the password again).
     * @param {string} password
     * @returns {Promise<void>}
     */
    async deleteAccount(password) {
      await api('/api/user', { method: 'DELETE', body: { password } });
      sessionEnded('account_deleted');
    },

    /** The user's own JSON values (the content plugin's `/api/user/data`). */
    data: {
      /**
       * Every stored value.
       * @returns {Promise<Record<string, *>>} key → value
       */
      async list() {
        return (await api('/api/user/data')).items;
      },

      /**
       * One value with its ETag.
       * @param {string} key 1–128 characters of `A-Z a-z 0-9 _ . : -`.
       * @returns {Promise<DataItem | null>} null when the key does not exist.
       */
      async get(key) {
        try {
          return dataItem(await request(keyPath(key)));
        } catch (error) {
          if (error instanceof AnnexError && error.status === 404) return null;
          throw error;
        }
      },

      /**
       * Store a value.
       * @param {string} key
       * @param {*} value Any JSON value (at most 64 KiB serialised by default).
       * @param {{ifMatch?: string, ifNoneMatch?: string}} [conditions] `ifMatch: item.etag` writes
       *   only over that version, `ifNoneMatch: '*'` only creates; else `412 precondition_failed`.
       * @returns {Promise<DataItem>}
       */
      async put(key, value, { ifMatch, ifNoneMatch } = {}) {
        const headers = {};
        if (ifMatch) headers['If-Match'] = ifMatch;
        if (ifNoneMatch) headers['If-None-Match'] = ifNoneMatch;
        const result = await request(keyPath(key), { method: 'PUT', body: { value }, headers });
        return { ...dataItem(result), created: result.status === 201 };
      },

      /**
       * Delete a value.
       * @param {string} key
       * @param {{ifMatch?: string}} [conditions]
       * @returns {Promise<void>} Rejects with 404 when absent, 412 on a stale `ifMatch`.
       */
      async delete(key, { ifMatch } = {}) {
        await request(keyPath(key), { method: 'DELETE', headers: ifMatch ? { 'If-Match': ifMatch } : {} });
      },
    },

    /**
     * Passkeys (the `passkeys` plugin, `/api/passkeys`): WebAuthn through `navigator.credentials`.
     * A ceremony the person dismisses rejects with `passkey_cancelled` (see {@link AnnexError}).
     */
    passkeys: {
      /**
       * Whether this browser can use passkeys (WebAuthn); says nothing about the server.
       * @returns {boolean}
       */
      supported() {
        return Boolean(config.credentials);
      },

      /**
       * Create a passkey for the signed-in user on this device and store it.
       * @param {{name?: string, signal?: AbortSignal}} [options] `name`: how the list shows it.
       * @returns {Promise<Passkey>} May reject with `403 reauth_required` (see {@link reauth}),
       *   `passkey_exists`, `passkey_cancelled` or `400 invalid_credential`.
       */
      async register({ name, signal } = {}) {
        authenticator();
        const options = await api('/api/passkeys/register/options', { method: 'POST', signal });
        const credential = await ceremony('create', options, signal);
        const body = name ? { credential, name } : { credential };
        return api('/api/passkeys/register', { method: 'POST', body, signal });
      },

      /**
       * Sign in with a passkey, no username needed (a discoverable credential). A user-verified
       * passkey is two factors in one: no code is asked for.
       * @param {{signal?: AbortSignal}} [options]
       * @returns {Promise<User>} Rejects with `invalid_credentials` for a passkey the site does
       *   not know, `passkey_cancelled` when the person dismissed the prompt.
       */
      async login({ signal } = {}) {
        const credential = await assertion({}, signal);
        return loggedIn(await api('/api/passkeys/login', { method: 'POST', body: { credential }, refresh: false, signal }));
      },

      /**
       * The signed-in user's passkeys.
       * @returns {Promise<Passkey[]>}
       */
      async list() {
        return (await api('/api/passkeys')).passkeys;
      },

      /**
       * @param {number | string | Passkey} passkey An id, or an entry of `list()`.
       * @param {string} name
       * @returns {Promise<Passkey>}
       */
      rename(passkey, name) {
        return api(passkeyPath(passkey), { method: 'PATCH', body: { name } });
      },

      /**
       * Delete a passkey (recent authentication: may reject with `403 reauth_required`;
       * `409 last_sign_in_method` when it is the account's only way to sign in).
       * @param {number | string | Passkey} passkey
       * @returns {Promise<void>}
       */
      async remove(passkey) {
        await api(passkeyPath(passkey), { method: 'DELETE' });
      },
    },

    /**
     * Authenticator-app codes and recovery codes (the `totp` plugin, `/api/totp`). Setting up,
     * turning off and new recovery codes need recent authentication (`403 reauth_required`).
     */
    totp: {
      /**
       * @returns {Promise<TotpStatus>}
       */
      status() {
        return api('/api/totp');
      },

      /**
       * Start enrolment: a new secret, not in force until `confirm(code)` with a code from the app.
       * @returns {Promise<TotpSetup>} Rejects with `409 already_enrolled` when it is on.
       */
      setup() {
        return api('/api/totp/setup', { method: 'POST' });
      },

      /**
       * Turn authenticator codes on with the app's current code; the user's other sessions end.
       * @param {string} code Six digits.
       * @returns {Promise<string[]>} The ten recovery codes, shown this once.
       */
      async confirm(code) {
        return (await api('/api/totp/confirm', { method: 'POST', body: { code } })).recovery_codes;
      },

      /**
       * Turn authenticator codes off; the recovery codes go too.
       * @returns {Promise<void>}
       */
      async disable() {
        await api('/api/totp', { method: 'DELETE' });
      },

      /**
       * Ten new recovery codes; the old ones stop working.
       * @returns {Promise<string[]>}
       */
      async regenerateRecoveryCodes() {
        const answer = await api('/api/totp/recovery-codes', { method: 'POST' });
        return Array.isArray(answer) ? answer : answer.recovery_codes;
      },
    },

    /**
     * Sign in with an OpenID Connect provider (the `oidc` plugin, `/api/oidc`). The sign-in
     * itself is a navigation, not a call: the browser goes to {@link startUrl} and comes back to
     * `next` signed in (cookies), or to the login page with `?error=oidc_<reason>`, or with
     * `?mfa=<token>&factors=<list>&next=<path>` when a second factor is needed (finish with
     * {@link mfa}).
     */
    oidc: {
      /**
       * The providers to offer buttons for; `[]` where the site has no `oidc` plugin (404).
       * @returns {Promise<OidcProvider[]>}
       */
      async providers() {
        try {
          return (await api('/api/oidc/providers', { refresh: false })).providers;
        } catch (error) {
          if (error instanceof AnnexError && error.status === 404) return [];
          throw error;
        }
      },

      /**
       * Where a "Sign in with …" link points: `href` of a plain `<a>`.
       * @param {string | OidcProvider} provider A name, or an entry of `providers()`.
       * @param {string} [next] The page to land on once signed in, a path on the site (anything
       *   else is ignored by the server, which then sends the browser to `/`).
       * @returns {string}
       */
      startUrl(provider, next) {
        const query = next ? `?${new URLSearchParams({ next })}` : '';
        return `${config.baseUrl}${oidcPath(provider)}/start${query}`;
      },

      /**
       * The provider accounts linked to the signed-in user.
       * @returns {Promise<OidcIdentity[]>}
       */
      async identities() {
        return (await api('/api/oidc/identities')).identities;
      },

      /**
       * A URL that links a provider account to the signed-in user: open it in this browser
       * (`location.assign(url)`); the provider sends it back to `next` once linked, or to the
       * login page with `?error=oidc_already_linked` (another user's) and the like.
       * @param {string | OidcProvider} provider
       * @param {string} [next] A path on the site, e.g. `/account.html`.
       * Recent authentication: may reject with `403 reauth_required` (then `reauth()` and retry).
       * @returns {Promise<string>} Rejects with 404 for a provider the site does not have.
       */
      async link(provider, next) {
        const body = next ? { next } : undefined;
        return (await api(`${oidcPath(provider)}/link`, { method: 'POST', body })).url;
      },

      /**
       * Unlink a provider account (recent authentication: may reject with
       * `403 reauth_required`; `409 last_sign_in_method` when it is the account's only way to
       * sign in).
       * @param {number | OidcIdentity} identity An id, or an entry of `identities()`.
       * @returns {Promise<void>}
       */
      async unlink(identity) {
        const id = typeof identity === 'object' ? identity.id : identity;
        await api(`/api/oidc/identities/${encodeURIComponent(id)}`, { method: 'DELETE' });
      },
    },

    /**
     * Sign in with a link or a 6-digit code sent by mail (the `emaillink` plugin,
     * `/api/emaillink`). The link opens a page of the site with `?token=`; the code is typed
     * where it was asked for. Either one spends both.
     */
    emailLink: {
      /**
       * Whether the site has the `emaillink` plugin (its request route answers a GET with
       * `405`, and `404` where the plugin is off). Sends no mail.
       * @returns {Promise<boolean>}
       */
      async available() {
        try {
          await api('/api/emaillink', { refresh: false });
          return true;
        } catch (error) {
          if (error instanceof AnnexError && error.status === 405) return true;
          if (error instanceof AnnexError && error.status === 404) return false;
          throw error;
        }
      },

      /**
       * Mail a sign-in link and code to `email`. Resolves the same whether the address has an
       * account or not (nobody learns who has one).
       * @param {string} email
       * @returns {Promise<void>} Rejects with `422 validation_error` for a malformed address,
       *   `429 rate_limited` after too many requests.
       */
      async request(email) {
        await api('/api/emaillink', { method: 'POST', body: { email }, refresh: false });
      },

      /**
       * Sign in with the link's token, or with the address and the mailed code.
       * @param {{token: string} | {email: string, code: string}} proof Spaces and dashes inside
       *   the code are ignored.
       * @returns {Promise<User>} Rejects with `400 invalid_token` (unknown, used, expired or
       *   wrong code), `401 mfa_required` (finish with {@link mfa}), `403 registration_closed`,
       *   `403 account_disabled`, `429 rate_limited`.
       */
      async confirm(proof) {
        const body = proof && 'token' in proof ? { token: proof.token } : { email: proof.email, code: proof.code };
        return loggedIn(await api('/api/emaillink/confirm', { method: 'POST', body, refresh: false }));
      },
    },
  };

  setOptions(initial || {});

  // Another tab logged out (or ended this session): tell this page too.
  if (hasWindow && typeof window.addEventListener === 'function') {
    window.addEventListener('storage', (event) => {
      if (event.key === LOGOUT_KEY + config.origin && event.newValue && storage() === event.storageArea) {
        emit('annex:logout', { reason: 'other_tab' });
      }
    });
  }
  return client;
}

/** The default client: this page's origin, cookie transport. */
const annex = createClient();
export default annex;

/**
 * Change the default client's options, e.g. `configure({ baseUrl: 'https://api.example.com' })`.
 * @param {ClientOptions} options
 */
export const configure = (options) => annex.configure(options);
export const {
  api,
  hasSession,
  register,
  registration,
  login,
  confirmLoginLink,
  mfa,
  reauth,
  logout,
  logoutAll,
  refresh,
  me,
  updateProfile,
  sessions,
  revokeSession,
  signInMethods,
  devices,
  forgetDevice,
  activity,
  changePassword,
  requestPasswordReset,
  confirmPasswordReset,
  requestEmailVerification,
  confirmEmail,
  changeEmail,
  confirmEmailChange,
  exportAccount,
  deleteAccount,
  data,
  passkeys,
  totp,
  oidc,
  emailLink,
} = annex;
