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
export declare class AnnexError extends Error {
    /** @type {number} */
    status: number;
    /** @type {string} */
    code: string;
    /** @type {Record<string, string>} */
    fields: Record<string, string>;
    /** @type {MfaChallenge | null} */
    mfa: MfaChallenge | null;
    /** @type {string[]} */
    methods: string[];
    /**
     * @param {number} status HTTP status, 0 for a network failure.
     * @param {string} code Error code from the contract.
     * @param {string} message Human-readable message.
     * @param {Record<string, string>} [fields] Field name → message (validation errors).
     * @param {{cause?: unknown}} [options]
     */
    constructor(status: number, code: string, message: string, fields?: Record<string, string>, options?: {
        cause?: unknown;
    });
}
export type MfaChallenge = {
    /**
     * Opaque and single-use: pass it to {@link mfa}. Valid `expiresIn`
     * seconds; five wrong codes end it (`invalid_token`).
     */
    token: string;
    /**
     * What the user can answer with: `totp` (an authenticator code),
     * `recovery_code`, `passkey`.
     */
    factors: string[];
    /**
     * Seconds.
     */
    expiresIn: number;
};
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
export declare function safeNext(next: string | null | undefined, fallback?: string): string;
/**
 * Bytes from base64url (padding and the `+/` alphabet are accepted too).
 *
 * @param {string} text
 * @returns {ArrayBuffer}
 */
export declare function base64urlToBuffer(text: string): ArrayBuffer;
/**
 * Base64url without padding, the WebAuthn JSON encoding of binary values.
 *
 * @param {ArrayBuffer | ArrayBufferView} buffer
 * @returns {string}
 */
export declare function bufferToBase64url(buffer: ArrayBuffer | ArrayBufferView): string;
/**
 * `PublicKeyCredentialCreationOptionsJSON` (what `/api/passkeys/register/options` answers) as
 * the options of `navigator.credentials.create({publicKey})`. The browser's own
 * `PublicKeyCredential.parseCreationOptionsFromJSON` when it has one.
 *
 * @param {Record<string, any>} options
 * @returns {PublicKeyCredentialCreationOptions}
 */
export declare function creationOptionsFromJSON(options: Record<string, any>): PublicKeyCredentialCreationOptions;
/**
 * `PublicKeyCredentialRequestOptionsJSON` (what `/api/passkeys/login/options` answers) as the
 * options of `navigator.credentials.get({publicKey})`. The browser's own
 * `PublicKeyCredential.parseRequestOptionsFromJSON` when it has one.
 *
 * @param {Record<string, any>} options
 * @returns {PublicKeyCredentialRequestOptions}
 */
export declare function requestOptionsFromJSON(options: Record<string, any>): PublicKeyCredentialRequestOptions;
/**
 * A credential from `navigator.credentials.create()` or `.get()` as `RegistrationResponseJSON` or
 * `AuthenticationResponseJSON`, what the server's routes take. The credential's own `toJSON()`
 * when the browser has it.
 *
 * @param {any} credential A PublicKeyCredential.
 * @returns {Record<string, any>}
 */
export declare function credentialToJSON(credential: any): Record<string, any>;
export type ClientOptions = {
    /**
     * Origin (and optional path prefix) of the Annex server, e.g.
     * `https://api.example.com`. Empty (default): the page's own origin.
     */
    baseUrl?: string;
    /**
     * `cookie` (default for the page's own origin):
     * HttpOnly cookies plus the CSRF header. `bearer` (default when `baseUrl` is another origin):
     * tokens from the response body, sent as `Authorization: Bearer`, kept in memory or in `storage`.
     */
    transport?: 'cookie' | 'bearer';
    /**
     * Name(s) of the CSRF cookie, first found wins
     * (default `__Host-annex_csrf`, then `annex_csrf` for `cookie_secure = false`).
     */
    csrfCookie?: string | string[];
    /**
     * Where the bearer transport keeps its tokens (default: memory
     * only; `sessionStorage` survives reloads of one tab). The cookie transport uses it only to tell
     * other tabs when it refreshed or logged out (default `localStorage`); never a secret there.
     */
    storage?: Storage | null;
    /**
     * Web Locks used to refresh once across tabs
     * (default `navigator.locks`; `null` refreshes once per page only).
     */
    locks?: {
        request: Function;
    } | null;
    /**
     * Where `annex:login` / `annex:logout` are dispatched
     * (default `window`).
     */
    events?: EventTarget | null;
    /**
     * The fetch function (default the global one).
     */
    fetch?: typeof fetch;
    /**
     * Returns the page's cookies (default `document.cookie`).
     */
    cookies?: () => string;
    /**
     * Runs the passkey
     * ceremonies (default `navigator.credentials` where the browser has WebAuthn, else null).
     */
    credentials?: {
        create: Function;
        get: Function;
    } | null;
};
export type User = {
    id: number;
    username: string;
    email: string;
    email_verified: boolean;
    roles: string[];
    /**
     * RFC 3339 UTC.
     */
    created_at: string;
};
export type Profile = User & {
    display_name: string | null;
    bio: string | null;
    avatar_url: string | null;
};
export type Session = {
    id: number;
    created_at: string;
    last_used_at: string;
    user_agent: string | null;
    ip: string | null;
    /**
     * True for the session of this browser.
     */
    current: boolean;
};
export type Device = {
    id: number;
    /**
     * The first sign-in from it.
     */
    created_at: string;
    /**
     * The latest sign-in from it.
     */
    last_used_at: string;
    user_agent: string | null;
    /**
     * A short name for `user_agent`, e.g. `Firefox on Linux`.
     */
    browser: string;
    /**
     * The address of the latest sign-in.
     */
    ip: string | null;
    /**
     * True for this browser.
     */
    current: boolean;
};
export type ActivityEvent = {
    /**
     * `register`, `login`, `login_failed`, `refresh_reuse`, `logout`,
     * `logout_all`, `session_revoked`, `password_changed`, `password_reset`, `email_verified`,
     * `account_locked`, `device_forgotten`, and the other plugins' events.
     */
    type: string;
    at: string;
    ip: string | null;
    user_agent: string | null;
};
export type DataItem = {
    key: string;
    value: any;
    updated_at: string;
    /**
     * Pass it back as `ifMatch` to write only over this version.
     */
    etag: string | null;
    /**
     * On `data.put`: true when the key was new.
     */
    created?: boolean;
};
export type Passkey = {
    id: number | string;
    name: string;
    created_at: string;
    last_used_at: string | null;
    /**
     * True when the passkey is synced (it survives losing the device).
     */
    backed_up: boolean;
};
export type TotpStatus = {
    /**
     * Whether sign-ins ask for an authenticator code.
     */
    enabled: boolean;
    recovery_codes_left: number;
};
export type TotpSetup = {
    /**
     * Base32, for typing into an app by hand.
     */
    secret: string;
    /**
     * `otpauth://totp/…`, for a QR code.
     */
    otpauth_uri: string;
};
export type OidcProvider = {
    /**
     * In the URLs (`/api/oidc/<name>/start`).
     */
    name: string;
    /**
     * What a button says ("Sign in with <label>").
     */
    label: string;
};
export type OidcIdentity = {
    id: number;
    /**
     * The provider's `name`.
     */
    provider: string;
    /**
     * The address the provider gave.
     */
    email: string | null;
    /**
     * When it was linked.
     */
    created_at: string;
};
export type Proof = {
    password: string;
} | {
    code: string;
} | {
    credential: Record<string, any>;
} | {
    passkey: true;
};
export type RequestOptions = {
    method?: string;
    /**
     * A JSON value (serialised, with `Content-Type: application/json`), or a
     * string / FormData / Blob / URLSearchParams / ArrayBuffer sent as it is.
     */
    body?: any;
    /**
     * Extra headers.
     */
    headers?: HeadersInit;
    signal?: AbortSignal;
    /**
     * Refresh and retry once on `401 token_expired`.
     */
    refresh?: boolean;
    /**
     * Resolve to `{status, headers, data}` instead of the data.
     */
    full?: boolean;
};
/**
 * Build a client. Most pages use the default one through the named exports; build your own for
 * a second server or other settings.
 *
 * @param {ClientOptions} [initial]
 */
export declare function createClient(initial?: ClientOptions): {
    /**
     * Change the client's options (see {@link ClientOptions}); unspecified ones keep their value.
     * @param {ClientOptions} options
     */
    configure(options: ClientOptions): /*elided*/ any;
    api: (path: string, options?: RequestOptions) => Promise<any>;
    /**
     * Whether this browser seems to hold a session, without asking the server: the readable
     * CSRF cookie (cookie transport) or kept tokens (bearer). A hint for what to show, such as
     * the navigation's links; a session revoked elsewhere still looks held until a request
     * fails, so call {@link me} where it matters.
     * @returns {boolean}
     */
    hasSession(): boolean;
    /**
     * Create an account; the new user is logged in.
     * @param {{username: string, email: string, password: string, invite?: string}} account
     *   `invite`: the token of an invitation, where the site registers by invitation only.
     * @returns {Promise<User>} Rejects with `403 registration_closed` when the site takes no new
     *   accounts, or the invitation is missing, used, expired or for another address.
     */
    register({ username, email, password, invite }: {
        username: string;
        email: string;
        password: string;
        invite?: string;
    }): Promise<User>;
    /**
     * Who may create an account on this site.
     * @returns {Promise<'open' | 'invite' | 'closed'>} `invite`: {@link register} needs an invitation.
     */
    registration(): Promise<'open' | 'invite' | 'closed'>;
    /**
     * Log in with a username (or email address) and password.
     * @param {string} username
     * @param {string} password
     * @returns {Promise<User>} Rejects with `invalid_credentials` when either is wrong, and with
     *   `401 mfa_required` when the user has a second factor: `error.mfa` is the challenge to
     *   finish with {@link mfa} (no session exists until then).
     */
    login(username: string, password: string): Promise<User>;
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
    confirmLoginLink(token: string): Promise<User>;
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
    mfa({ token, factor, code, credential, signal }: {
        token: string;
        factor: 'totp' | 'recovery_code' | 'passkey';
        code?: string;
        credential?: Record<string, any>;
        signal?: AbortSignal;
    }): Promise<User>;
    /**
     * Prove again who is signed in, for an action that rejected with `403 reauth_required`
     * (`error.methods` says which proofs the user has); then retry the action.
     * @param {Proof} proof
     * @returns {Promise<void>} Rejects with `invalid_credentials` / `invalid_code` for a wrong proof.
     */
    reauth(proof: Proof): Promise<void>;
    /**
     * End this session (this browser). Never rejects for an already-ended session.
     * @returns {Promise<void>}
     */
    logout(): Promise<void>;
    /**
     * End every session of the user, on every device (asks for the password again).
     * @param {string} password
     * @returns {Promise<void>}
     */
    logoutAll(password: string): Promise<void>;
    /**
     * Refresh the session now (normally done for you on `token_expired`).
     * @returns {Promise<void>}
     */
    refresh(): Promise<void>;
    /**
     * The logged-in user's account and profile.
     * @returns {Promise<Profile>} Rejects with status 401 when nobody is logged in.
     */
    me(): Promise<Profile>;
    /**
     * Change profile fields: omitted ones stay, `null` clears one.
     * @param {Partial<Profile>} changes `display_name`, `bio`, `avatar_url`, custom fields.
     * @returns {Promise<Profile>} The updated profile; a `validation_error` names each bad field.
     */
    updateProfile(changes: Partial<Profile>): Promise<Profile>;
    /**
     * The user's active sessions.
     * @returns {Promise<Session[]>}
     */
    sessions(): Promise<Session[]>;
    /**
     * End one session. Another session than this one needs the password.
     * @param {number | Session} session An id, or an entry of {@link sessions}.
     * @param {string} [password] Required unless it is the current session.
     * @returns {Promise<void>}
     */
    revokeSession(session: number | Session, password?: string): Promise<void>;
    /**
     * Every way the user can sign in, one entry per credential, from every enabled plugin:
     * `"password"`, `"passkey"` once per passkey, `"oidc:<provider>"`… An account without
     * `"password"` sets one through {@link requestPasswordReset}.
     * @returns {Promise<string[]>}
     */
    signInMethods(): Promise<string[]>;
    /**
     * The browsers the user has signed in from, most recently used first.
     * @returns {Promise<Device[]>}
     */
    devices(): Promise<Device[]>;
    /**
     * Forget a remembered browser: it no longer signs in while the account is locked, and its
     * next sign-in is mailed as a new device's. Its sessions go on (see {@link revokeSession}).
     * @param {number | Device} device An id, or an entry of {@link devices}.
     * @returns {Promise<void>} Rejects with `404 not_found` for a device the user does not have.
     */
    forgetDevice(device: number | Device): Promise<void>;
    /**
     * The user's security log, newest first (at most 100 entries).
     * @returns {Promise<ActivityEvent[]>}
     */
    activity(): Promise<ActivityEvent[]>;
    /**
     * Change the password; every other session ends, this one stays.
     * @param {string} currentPassword
     * @param {string} newPassword
     * @returns {Promise<void>}
     */
    changePassword(currentPassword: string, newPassword: string): Promise<void>;
    /**
     * Mail a password-reset link (the answer is the same whether the address has an account).
     * @param {string} email
     * @returns {Promise<void>}
     */
    requestPasswordReset(email: string): Promise<void>;
    /**
     * Set a new password with the token of a reset link; every session of the user ends.
     * @param {string} token The `token` query parameter of the link.
     * @param {string} newPassword
     * @returns {Promise<void>} Rejects with `invalid_token` for a used, unknown or expired token.
     */
    confirmPasswordReset(token: string, newPassword: string): Promise<void>;
    /**
     * Mail the logged-in user a link that confirms their address.
     * @returns {Promise<void>}
     */
    requestEmailVerification(): Promise<void>;
    /**
     * Confirm the address with the token of a verification link.
     * @param {string} token
     * @returns {Promise<void>}
     */
    confirmEmail(token: string): Promise<void>;
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
    changeEmail(newEmail: string, proof?: Proof): Promise<void>;
    /**
     * Make the address a change link was mailed to the account's (it needs no session: the link
     * is the proof). Call it from a button, not on page load: mail scanners open links.
     * @param {string} token The `token` query parameter of the link.
     * @returns {Promise<void>} Rejects with `400 invalid_token` for an unknown, used, expired or
     *   superseded link, and `409 email_taken` when another account took the address meanwhile.
     */
    confirmEmailChange(token: string): Promise<void>;
    /**
     * Everything every plugin keeps about the user, one section per plugin.
     * @returns {Promise<Record<string, object>>}
     */
    exportAccount(): Promise<Record<string, object>>;
    /**
     * Delete the account and all its data (asks for the password again).
     * @param {string} password
     * @returns {Promise<void>}
     */
    deleteAccount(password: string): Promise<void>;
    /** The user's own JSON values (the content plugin's `/api/user/data`). */
    data: {
        /**
         * Every stored value.
         * @returns {Promise<Record<string, *>>} key → value
         */
        list(): Promise<Record<string, any>>;
        /**
         * One value with its ETag.
         * @param {string} key 1–128 characters of `A-Z a-z 0-9 _ . : -`.
         * @returns {Promise<DataItem | null>} null when the key does not exist.
         */
        get(key: string): Promise<DataItem | null>;
        /**
         * Store a value.
         * @param {string} key
         * @param {*} value Any JSON value (at most 64 KiB serialised by default).
         * @param {{ifMatch?: string, ifNoneMatch?: string}} [conditions] `ifMatch: item.etag` writes
         *   only over that version, `ifNoneMatch: '*'` only creates; else `412 precondition_failed`.
         * @returns {Promise<DataItem>}
         */
        put(key: string, value: any, { ifMatch, ifNoneMatch }?: {
            ifMatch?: string;
            ifNoneMatch?: string;
        }): Promise<DataItem>;
        /**
         * Delete a value.
         * @param {string} key
         * @param {{ifMatch?: string}} [conditions]
         * @returns {Promise<void>} Rejects with 404 when absent, 412 on a stale `ifMatch`.
         */
        delete(key: string, { ifMatch }?: {
            ifMatch?: string;
        }): Promise<void>;
    };
    /**
     * Passkeys (the `passkeys` plugin, `/api/passkeys`): WebAuthn through `navigator.credentials`.
     * A ceremony the person dismisses rejects with `passkey_cancelled` (see {@link AnnexError}).
     */
    passkeys: {
        /**
         * Whether this browser can use passkeys (WebAuthn); says nothing about the server.
         * @returns {boolean}
         */
        supported(): boolean;
        /**
         * Create a passkey for the signed-in user on this device and store it.
         * @param {{name?: string, signal?: AbortSignal}} [options] `name`: how the list shows it.
         * @returns {Promise<Passkey>} May reject with `403 reauth_required` (see {@link reauth}),
         *   `passkey_exists`, `passkey_cancelled` or `400 invalid_credential`.
         */
        register({ name, signal }?: {
            name?: string;
            signal?: AbortSignal;
        }): Promise<Passkey>;
        /**
         * Sign in with a passkey, no username needed (a discoverable credential). A user-verified
         * passkey is two factors in one: no code is asked for.
         * @param {{signal?: AbortSignal}} [options]
         * @returns {Promise<User>} Rejects with `invalid_credentials` for a passkey the site does
         *   not know, `passkey_cancelled` when the person dismissed the prompt.
         */
        login({ signal }?: {
            signal?: AbortSignal;
        }): Promise<User>;
        /**
         * The signed-in user's passkeys.
         * @returns {Promise<Passkey[]>}
         */
        list(): Promise<Passkey[]>;
        /**
         * @param {number | string | Passkey} passkey An id, or an entry of `list()`.
         * @param {string} name
         * @returns {Promise<Passkey>}
         */
        rename(passkey: number | string | Passkey, name: string): Promise<Passkey>;
        /**
         * Delete a passkey (recent authentication: may reject with `403 reauth_required`;
         * `409 last_sign_in_method` when it is the account's only way to sign in).
         * @param {number | string | Passkey} passkey
         * @returns {Promise<void>}
         */
        remove(passkey: number | string | Passkey): Promise<void>;
    };
    /**
     * Authenticator-app codes and recovery codes (the `totp` plugin, `/api/totp`). Setting up,
     * turning off and new recovery codes need recent authentication (`403 reauth_required`).
     */
    totp: {
        /**
         * @returns {Promise<TotpStatus>}
         */
        status(): Promise<TotpStatus>;
        /**
         * Start enrolment: a new secret, not in force until `confirm(code)` with a code from the app.
         * @returns {Promise<TotpSetup>} Rejects with `409 already_enrolled` when it is on.
         */
        setup(): Promise<TotpSetup>;
        /**
         * Turn authenticator codes on with the app's current code; the user's other sessions end.
         * @param {string} code Six digits.
         * @returns {Promise<string[]>} The ten recovery codes, shown this once.
         */
        confirm(code: string): Promise<string[]>;
        /**
         * Turn authenticator codes off; the recovery codes go too.
         * @returns {Promise<void>}
         */
        disable(): Promise<void>;
        /**
         * Ten new recovery codes; the old ones stop working.
         * @returns {Promise<string[]>}
         */
        regenerateRecoveryCodes(): Promise<string[]>;
    };
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
        providers(): Promise<OidcProvider[]>;
        /**
         * Where a "Sign in with …" link points: `href` of a plain `<a>`.
         * @param {string | OidcProvider} provider A name, or an entry of `providers()`.
         * @param {string} [next] The page to land on once signed in, a path on the site (anything
         *   else is ignored by the server, which then sends the browser to `/`).
         * @returns {string}
         */
        startUrl(provider: string | OidcProvider, next?: string): string;
        /**
         * The provider accounts linked to the signed-in user.
         * @returns {Promise<OidcIdentity[]>}
         */
        identities(): Promise<OidcIdentity[]>;
        /**
         * A URL that links a provider account to the signed-in user: open it in this browser
         * (`location.assign(url)`); the provider sends it back to `next` once linked, or to the
         * login page with `?error=oidc_already_linked` (another user's) and the like.
         * @param {string | OidcProvider} provider
         * @param {string} [next] A path on the site, e.g. `/account.html`.
         * Recent authentication: may reject with `403 reauth_required` (then `reauth()` and retry).
         * @returns {Promise<string>} Rejects with 404 for a provider the site does not have.
         */
        link(provider: string | OidcProvider, next?: string): Promise<string>;
        /**
         * Unlink a provider account (recent authentication: may reject with
         * `403 reauth_required`; `409 last_sign_in_method` when it is the account's only way to
         * sign in).
         * @param {number | OidcIdentity} identity An id, or an entry of `identities()`.
         * @returns {Promise<void>}
         */
        unlink(identity: number | OidcIdentity): Promise<void>;
    };
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
        available(): Promise<boolean>;
        /**
         * Mail a sign-in link and code to `email`. Resolves the same whether the address has an
         * account or not (nobody learns who has one).
         * @param {string} email
         * @returns {Promise<void>} Rejects with `422 validation_error` for a malformed address,
         *   `429 rate_limited` after too many requests.
         */
        request(email: string): Promise<void>;
        /**
         * Sign in with the link's token, or with the address and the mailed code.
         * @param {{token: string} | {email: string, code: string}} proof Spaces and dashes inside
         *   the code are ignored.
         * @returns {Promise<User>} Rejects with `400 invalid_token` (unknown, used, expired or
         *   wrong code), `401 mfa_required` (finish with {@link mfa}), `403 registration_closed`,
         *   `403 account_disabled`, `429 rate_limited`.
         */
        confirm(proof: {
            token: string;
        } | {
            email: string;
            code: string;
        }): Promise<User>;
    };
};
/** The default client: this page's origin, cookie transport. */
declare const annex: {
    /**
     * Change the client's options (see {@link ClientOptions}); unspecified ones keep their value.
     * @param {ClientOptions} options
     */
    configure(options: ClientOptions): /*elided*/ any;
    api: (path: string, options?: RequestOptions) => Promise<any>;
    /**
     * Whether this browser seems to hold a session, without asking the server: the readable
     * CSRF cookie (cookie transport) or kept tokens (bearer). A hint for what to show, such as
     * the navigation's links; a session revoked elsewhere still looks held until a request
     * fails, so call {@link me} where it matters.
     * @returns {boolean}
     */
    hasSession(): boolean;
    /**
     * Create an account; the new user is logged in.
     * @param {{username: string, email: string, password: string, invite?: string}} account
     *   `invite`: the token of an invitation, where the site registers by invitation only.
     * @returns {Promise<User>} Rejects with `403 registration_closed` when the site takes no new
     *   accounts, or the invitation is missing, used, expired or for another address.
     */
    register({ username, email, password, invite }: {
        username: string;
        email: string;
        password: string;
        invite?: string;
    }): Promise<User>;
    /**
     * Who may create an account on this site.
     * @returns {Promise<'open' | 'invite' | 'closed'>} `invite`: {@link register} needs an invitation.
     */
    registration(): Promise<'open' | 'invite' | 'closed'>;
    /**
     * Log in with a username (or email address) and password.
     * @param {string} username
     * @param {string} password
     * @returns {Promise<User>} Rejects with `invalid_credentials` when either is wrong, and with
     *   `401 mfa_required` when the user has a second factor: `error.mfa` is the challenge to
     *   finish with {@link mfa} (no session exists until then).
     */
    login(username: string, password: string): Promise<User>;
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
    confirmLoginLink(token: string): Promise<User>;
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
    mfa({ token, factor, code, credential, signal }: {
        token: string;
        factor: 'totp' | 'recovery_code' | 'passkey';
        code?: string;
        credential?: Record<string, any>;
        signal?: AbortSignal;
    }): Promise<User>;
    /**
     * Prove again who is signed in, for an action that rejected with `403 reauth_required`
     * (`error.methods` says which proofs the user has); then retry the action.
     * @param {Proof} proof
     * @returns {Promise<void>} Rejects with `invalid_credentials` / `invalid_code` for a wrong proof.
     */
    reauth(proof: Proof): Promise<void>;
    /**
     * End this session (this browser). Never rejects for an already-ended session.
     * @returns {Promise<void>}
     */
    logout(): Promise<void>;
    /**
     * End every session of the user, on every device (asks for the password again).
     * @param {string} password
     * @returns {Promise<void>}
     */
    logoutAll(password: string): Promise<void>;
    /**
     * Refresh the session now (normally done for you on `token_expired`).
     * @returns {Promise<void>}
     */
    refresh(): Promise<void>;
    /**
     * The logged-in user's account and profile.
     * @returns {Promise<Profile>} Rejects with status 401 when nobody is logged in.
     */
    me(): Promise<Profile>;
    /**
     * Change profile fields: omitted ones stay, `null` clears one.
     * @param {Partial<Profile>} changes `display_name`, `bio`, `avatar_url`, custom fields.
     * @returns {Promise<Profile>} The updated profile; a `validation_error` names each bad field.
     */
    updateProfile(changes: Partial<Profile>): Promise<Profile>;
    /**
     * The user's active sessions.
     * @returns {Promise<Session[]>}
     */
    sessions(): Promise<Session[]>;
    /**
     * End one session. Another session than this one needs the password.
     * @param {number | Session} session An id, or an entry of {@link sessions}.
     * @param {string} [password] Required unless it is the current session.
     * @returns {Promise<void>}
     */
    revokeSession(session: number | Session, password?: string): Promise<void>;
    /**
     * Every way the user can sign in, one entry per credential, from every enabled plugin:
     * `"password"`, `"passkey"` once per passkey, `"oidc:<provider>"`… An account without
     * `"password"` sets one through {@link requestPasswordReset}.
     * @returns {Promise<string[]>}
     */
    signInMethods(): Promise<string[]>;
    /**
     * The browsers the user has signed in from, most recently used first.
     * @returns {Promise<Device[]>}
     */
    devices(): Promise<Device[]>;
    /**
     * Forget a remembered browser: it no longer signs in while the account is locked, and its
     * next sign-in is mailed as a new device's. Its sessions go on (see {@link revokeSession}).
     * @param {number | Device} device An id, or an entry of {@link devices}.
     * @returns {Promise<void>} Rejects with `404 not_found` for a device the user does not have.
     */
    forgetDevice(device: number | Device): Promise<void>;
    /**
     * The user's security log, newest first (at most 100 entries).
     * @returns {Promise<ActivityEvent[]>}
     */
    activity(): Promise<ActivityEvent[]>;
    /**
     * Change the password; every other session ends, this one stays.
     * @param {string} currentPassword
     * @param {string} newPassword
     * @returns {Promise<void>}
     */
    changePassword(currentPassword: string, newPassword: string): Promise<void>;
    /**
     * Mail a password-reset link (the answer is the same whether the address has an account).
     * @param {string} email
     * @returns {Promise<void>}
     */
    requestPasswordReset(email: string): Promise<void>;
    /**
     * Set a new password with the token of a reset link; every session of the user ends.
     * @param {string} token The `token` query parameter of the link.
     * @param {string} newPassword
     * @returns {Promise<void>} Rejects with `invalid_token` for a used, unknown or expired token.
     */
    confirmPasswordReset(token: string, newPassword: string): Promise<void>;
    /**
     * Mail the logged-in user a link that confirms their address.
     * @returns {Promise<void>}
     */
    requestEmailVerification(): Promise<void>;
    /**
     * Confirm the address with the token of a verification link.
     * @param {string} token
     * @returns {Promise<void>}
     */
    confirmEmail(token: string): Promise<void>;
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
    changeEmail(newEmail: string, proof?: Proof): Promise<void>;
    /**
     * Make the address a change link was mailed to the account's (it needs no session: the link
     * is the proof). Call it from a button, not on page load: mail scanners open links.
     * @param {string} token The `token` query parameter of the link.
     * @returns {Promise<void>} Rejects with `400 invalid_token` for an unknown, used, expired or
     *   superseded link, and `409 email_taken` when another account took the address meanwhile.
     */
    confirmEmailChange(token: string): Promise<void>;
    /**
     * Everything every plugin keeps about the user, one section per plugin.
     * @returns {Promise<Record<string, object>>}
     */
    exportAccount(): Promise<Record<string, object>>;
    /**
     * Delete the account and all its data (asks for the password again).
     * @param {string} password
     * @returns {Promise<void>}
     */
    deleteAccount(password: string): Promise<void>;
    /** The user's own JSON values (the content plugin's `/api/user/data`). */
    data: {
        /**
         * Every stored value.
         * @returns {Promise<Record<string, *>>} key → value
         */
        list(): Promise<Record<string, any>>;
        /**
         * One value with its ETag.
         * @param {string} key 1–128 characters of `A-Z a-z 0-9 _ . : -`.
         * @returns {Promise<DataItem | null>} null when the key does not exist.
         */
        get(key: string): Promise<DataItem | null>;
        /**
         * Store a value.
         * @param {string} key
         * @param {*} value Any JSON value (at most 64 KiB serialised by default).
         * @param {{ifMatch?: string, ifNoneMatch?: string}} [conditions] `ifMatch: item.etag` writes
         *   only over that version, `ifNoneMatch: '*'` only creates; else `412 precondition_failed`.
         * @returns {Promise<DataItem>}
         */
        put(key: string, value: any, { ifMatch, ifNoneMatch }?: {
            ifMatch?: string;
            ifNoneMatch?: string;
        }): Promise<DataItem>;
        /**
         * Delete a value.
         * @param {string} key
         * @param {{ifMatch?: string}} [conditions]
         * @returns {Promise<void>} Rejects with 404 when absent, 412 on a stale `ifMatch`.
         */
        delete(key: string, { ifMatch }?: {
            ifMatch?: string;
        }): Promise<void>;
    };
    /**
     * Passkeys (the `passkeys` plugin, `/api/passkeys`): WebAuthn through `navigator.credentials`.
     * A ceremony the person dismisses rejects with `passkey_cancelled` (see {@link AnnexError}).
     */
    passkeys: {
        /**
         * Whether this browser can use passkeys (WebAuthn); says nothing about the server.
         * @returns {boolean}
         */
        supported(): boolean;
        /**
         * Create a passkey for the signed-in user on this device and store it.
         * @param {{name?: string, signal?: AbortSignal}} [options] `name`: how the list shows it.
         * @returns {Promise<Passkey>} May reject with `403 reauth_required` (see {@link reauth}),
         *   `passkey_exists`, `passkey_cancelled` or `400 invalid_credential`.
         */
        register({ name, signal }?: {
            name?: string;
            signal?: AbortSignal;
        }): Promise<Passkey>;
        /**
         * Sign in with a passkey, no username needed (a discoverable credential). A user-verified
         * passkey is two factors in one: no code is asked for.
         * @param {{signal?: AbortSignal}} [options]
         * @returns {Promise<User>} Rejects with `invalid_credentials` for a passkey the site does
         *   not know, `passkey_cancelled` when the person dismissed the prompt.
         */
        login({ signal }?: {
            signal?: AbortSignal;
        }): Promise<User>;
        /**
         * The signed-in user's passkeys.
         * @returns {Promise<Passkey[]>}
         */
        list(): Promise<Passkey[]>;
        /**
         * @param {number | string | Passkey} passkey An id, or an entry of `list()`.
         * @param {string} name
         * @returns {Promise<Passkey>}
         */
        rename(passkey: number | string | Passkey, name: string): Promise<Passkey>;
        /**
         * Delete a passkey (recent authentication: may reject with `403 reauth_required`;
         * `409 last_sign_in_method` when it is the account's only way to sign in).
         * @param {number | string | Passkey} passkey
         * @returns {Promise<void>}
         */
        remove(passkey: number | string | Passkey): Promise<void>;
    };
    /**
     * Authenticator-app codes and recovery codes (the `totp` plugin, `/api/totp`). Setting up,
     * turning off and new recovery codes need recent authentication (`403 reauth_required`).
     */
    totp: {
        /**
         * @returns {Promise<TotpStatus>}
         */
        status(): Promise<TotpStatus>;
        /**
         * Start enrolment: a new secret, not in force until `confirm(code)` with a code from the app.
         * @returns {Promise<TotpSetup>} Rejects with `409 already_enrolled` when it is on.
         */
        setup(): Promise<TotpSetup>;
        /**
         * Turn authenticator codes on with the app's current code; the user's other sessions end.
         * @param {string} code Six digits.
         * @returns {Promise<string[]>} The ten recovery codes, shown this once.
         */
        confirm(code: string): Promise<string[]>;
        /**
         * Turn authenticator codes off; the recovery codes go too.
         * @returns {Promise<void>}
         */
        disable(): Promise<void>;
        /**
         * Ten new recovery codes; the old ones stop working.
         * @returns {Promise<string[]>}
         */
        regenerateRecoveryCodes(): Promise<string[]>;
    };
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
        providers(): Promise<OidcProvider[]>;
        /**
         * Where a "Sign in with …" link points: `href` of a plain `<a>`.
         * @param {string | OidcProvider} provider A name, or an entry of `providers()`.
         * @param {string} [next] The page to land on once signed in, a path on the site (anything
         *   else is ignored by the server, which then sends the browser to `/`).
         * @returns {string}
         */
        startUrl(provider: string | OidcProvider, next?: string): string;
        /**
         * The provider accounts linked to the signed-in user.
         * @returns {Promise<OidcIdentity[]>}
         */
        identities(): Promise<OidcIdentity[]>;
        /**
         * A URL that links a provider account to the signed-in user: open it in this browser
         * (`location.assign(url)`); the provider sends it back to `next` once linked, or to the
         * login page with `?error=oidc_already_linked` (another user's) and the like.
         * @param {string | OidcProvider} provider
         * @param {string} [next] A path on the site, e.g. `/account.html`.
         * Recent authentication: may reject with `403 reauth_required` (then `reauth()` and retry).
         * @returns {Promise<string>} Rejects with 404 for a provider the site does not have.
         */
        link(provider: string | OidcProvider, next?: string): Promise<string>;
        /**
         * Unlink a provider account (recent authentication: may reject with
         * `403 reauth_required`; `409 last_sign_in_method` when it is the account's only way to
         * sign in).
         * @param {number | OidcIdentity} identity An id, or an entry of `identities()`.
         * @returns {Promise<void>}
         */
        unlink(identity: number | OidcIdentity): Promise<void>;
    };
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
        available(): Promise<boolean>;
        /**
         * Mail a sign-in link and code to `email`. Resolves the same whether the address has an
         * account or not (nobody learns who has one).
         * @param {string} email
         * @returns {Promise<void>} Rejects with `422 validation_error` for a malformed address,
         *   `429 rate_limited` after too many requests.
         */
        request(email: string): Promise<void>;
        /**
         * Sign in with the link's token, or with the address and the mailed code.
         * @param {{token: string} | {email: string, code: string}} proof Spaces and dashes inside
         *   the code are ignored.
         * @returns {Promise<User>} Rejects with `400 invalid_token` (unknown, used, expired or
         *   wrong code), `401 mfa_required` (finish with {@link mfa}), `403 registration_closed`,
         *   `403 account_disabled`, `429 rate_limited`.
         */
        confirm(proof: {
            token: string;
        } | {
            email: string;
            code: string;
        }): Promise<User>;
    };
};
export default annex;
/**
 * Change the default client's options, e.g. `configure({ baseUrl: 'https://api.example.com' })`.
 * @param {ClientOptions} options
 */
export declare const configure: (options: ClientOptions) => {
    /**
     * Change the client's options (see {@link ClientOptions}); unspecified ones keep their value.
     * @param {ClientOptions} options
     */
    configure(options: ClientOptions): /*elided*/ any;
    api: (path: string, options?: RequestOptions) => Promise<any>;
    /**
     * Whether this browser seems to hold a session, without asking the server: the readable
     * CSRF cookie (cookie transport) or kept tokens (bearer). A hint for what to show, such as
     * the navigation's links; a session revoked elsewhere still looks held until a request
     * fails, so call {@link me} where it matters.
     * @returns {boolean}
     */
    hasSession(): boolean;
    /**
     * Create an account; the new user is logged in.
     * @param {{username: string, email: string, password: string, invite?: string}} account
     *   `invite`: the token of an invitation, where the site registers by invitation only.
     * @returns {Promise<User>} Rejects with `403 registration_closed` when the site takes no new
     *   accounts, or the invitation is missing, used, expired or for another address.
     */
    register({ username, email, password, invite }: {
        username: string;
        email: string;
        password: string;
        invite?: string;
    }): Promise<User>;
    /**
     * Who may create an account on this site.
     * @returns {Promise<'open' | 'invite' | 'closed'>} `invite`: {@link register} needs an invitation.
     */
    registration(): Promise<'open' | 'invite' | 'closed'>;
    /**
     * Log in with a username (or email address) and password.
     * @param {string} username
     * @param {string} password
     * @returns {Promise<User>} Rejects with `invalid_credentials` when either is wrong, and with
     *   `401 mfa_required` when the user has a second factor: `error.mfa` is the challenge to
     *   finish with {@link mfa} (no session exists until then).
     */
    login(username: string, password: string): Promise<User>;
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
    confirmLoginLink(token: string): Promise<User>;
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
    mfa({ token, factor, code, credential, signal }: {
        token: string;
        factor: 'totp' | 'recovery_code' | 'passkey';
        code?: string;
        credential?: Record<string, any>;
        signal?: AbortSignal;
    }): Promise<User>;
    /**
     * Prove again who is signed in, for an action that rejected with `403 reauth_required`
     * (`error.methods` says which proofs the user has); then retry the action.
     * @param {Proof} proof
     * @returns {Promise<void>} Rejects with `invalid_credentials` / `invalid_code` for a wrong proof.
     */
    reauth(proof: Proof): Promise<void>;
    /**
     * End this session (this browser). Never rejects for an already-ended session.
     * @returns {Promise<void>}
     */
    logout(): Promise<void>;
    /**
     * End every session of the user, on every device (asks for the password again).
     * @param {string} password
     * @returns {Promise<void>}
     */
    logoutAll(password: string): Promise<void>;
    /**
     * Refresh the session now (normally done for you on `token_expired`).
     * @returns {Promise<void>}
     */
    refresh(): Promise<void>;
    /**
     * The logged-in user's account and profile.
     * @returns {Promise<Profile>} Rejects with status 401 when nobody is logged in.
     */
    me(): Promise<Profile>;
    /**
     * Change profile fields: omitted ones stay, `null` clears one.
     * @param {Partial<Profile>} changes `display_name`, `bio`, `avatar_url`, custom fields.
     * @returns {Promise<Profile>} The updated profile; a `validation_error` names each bad field.
     */
    updateProfile(changes: Partial<Profile>): Promise<Profile>;
    /**
     * The user's active sessions.
     * @returns {Promise<Session[]>}
     */
    sessions(): Promise<Session[]>;
    /**
     * End one session. Another session than this one needs the password.
     * @param {number | Session} session An id, or an entry of {@link sessions}.
     * @param {string} [password] Required unless it is the current session.
     * @returns {Promise<void>}
     */
    revokeSession(session: number | Session, password?: string): Promise<void>;
    /**
     * Every way the user can sign in, one entry per credential, from every enabled plugin:
     * `"password"`, `"passkey"` once per passkey, `"oidc:<provider>"`… An account without
     * `"password"` sets one through {@link requestPasswordReset}.
     * @returns {Promise<string[]>}
     */
    signInMethods(): Promise<string[]>;
    /**
     * The browsers the user has signed in from, most recently used first.
     * @returns {Promise<Device[]>}
     */
    devices(): Promise<Device[]>;
    /**
     * Forget a remembered browser: it no longer signs in while the account is locked, and its
     * next sign-in is mailed as a new device's. Its sessions go on (see {@link revokeSession}).
     * @param {number | Device} device An id, or an entry of {@link devices}.
     * @returns {Promise<void>} Rejects with `404 not_found` for a device the user does not have.
     */
    forgetDevice(device: number | Device): Promise<void>;
    /**
     * The user's security log, newest first (at most 100 entries).
     * @returns {Promise<ActivityEvent[]>}
     */
    activity(): Promise<ActivityEvent[]>;
    /**
     * Change the password; every other session ends, this one stays.
     * @param {string} currentPassword
     * @param {string} newPassword
     * @returns {Promise<void>}
     */
    changePassword(currentPassword: string, newPassword: string): Promise<void>;
    /**
     * Mail a password-reset link (the answer is the same whether the address has an account).
     * @param {string} email
     * @returns {Promise<void>}
     */
    requestPasswordReset(email: string): Promise<void>;
    /**
     * Set a new password with the token of a reset link; every session of the user ends.
     * @param {string} token The `token` query parameter of the link.
     * @param {string} newPassword
     * @returns {Promise<void>} Rejects with `invalid_token` for a used, unknown or expired token.
     */
    confirmPasswordReset(token: string, newPassword: string): Promise<void>;
    /**
     * Mail the logged-in user a link that confirms their address.
     * @returns {Promise<void>}
     */
    requestEmailVerification(): Promise<void>;
    /**
     * Confirm the address with the token of a verification link.
     * @param {string} token
     * @returns {Promise<void>}
     */
    confirmEmail(token: string): Promise<void>;
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
    changeEmail(newEmail: string, proof?: Proof): Promise<void>;
    /**
     * Make the address a change link was mailed to the account's (it needs no session: the link
     * is the proof). Call it from a button, not on page load: mail scanners open links.
     * @param {string} token The `token` query parameter of the link.
     * @returns {Promise<void>} Rejects with `400 invalid_token` for an unknown, used, expired or
     *   superseded link, and `409 email_taken` when another account took the address meanwhile.
     */
    confirmEmailChange(token: string): Promise<void>;
    /**
     * Everything every plugin keeps about the user, one section per plugin.
     * @returns {Promise<Record<string, object>>}
     */
    exportAccount(): Promise<Record<string, object>>;
    /**
     * Delete the account and all its data (asks for the password again).
     * @param {string} password
     * @returns {Promise<void>}
     */
    deleteAccount(password: string): Promise<void>;
    /** The user's own JSON values (the content plugin's `/api/user/data`). */
    data: {
        /**
         * Every stored value.
         * @returns {Promise<Record<string, *>>} key → value
         */
        list(): Promise<Record<string, any>>;
        /**
         * One value with its ETag.
         * @param {string} key 1–128 characters of `A-Z a-z 0-9 _ . : -`.
         * @returns {Promise<DataItem | null>} null when the key does not exist.
         */
        get(key: string): Promise<DataItem | null>;
        /**
         * Store a value.
         * @param {string} key
         * @param {*} value Any JSON value (at most 64 KiB serialised by default).
         * @param {{ifMatch?: string, ifNoneMatch?: string}} [conditions] `ifMatch: item.etag` writes
         *   only over that version, `ifNoneMatch: '*'` only creates; else `412 precondition_failed`.
         * @returns {Promise<DataItem>}
         */
        put(key: string, value: any, { ifMatch, ifNoneMatch }?: {
            ifMatch?: string;
            ifNoneMatch?: string;
        }): Promise<DataItem>;
        /**
         * Delete a value.
         * @param {string} key
         * @param {{ifMatch?: string}} [conditions]
         * @returns {Promise<void>} Rejects with 404 when absent, 412 on a stale `ifMatch`.
         */
        delete(key: string, { ifMatch }?: {
            ifMatch?: string;
        }): Promise<void>;
    };
    /**
     * Passkeys (the `passkeys` plugin, `/api/passkeys`): WebAuthn through `navigator.credentials`.
     * A ceremony the person dismisses rejects with `passkey_cancelled` (see {@link AnnexError}).
     */
    passkeys: {
        /**
         * Whether this browser can use passkeys (WebAuthn); says nothing about the server.
         * @returns {boolean}
         */
        supported(): boolean;
        /**
         * Create a passkey for the signed-in user on this device and store it.
         * @param {{name?: string, signal?: AbortSignal}} [options] `name`: how the list shows it.
         * @returns {Promise<Passkey>} May reject with `403 reauth_required` (see {@link reauth}),
         *   `passkey_exists`, `passkey_cancelled` or `400 invalid_credential`.
         */
        register({ name, signal }?: {
            name?: string;
            signal?: AbortSignal;
        }): Promise<Passkey>;
        /**
         * Sign in with a passkey, no username needed (a discoverable credential). A user-verified
         * passkey is two factors in one: no code is asked for.
         * @param {{signal?: AbortSignal}} [options]
         * @returns {Promise<User>} Rejects with `invalid_credentials` for a passkey the site does
         *   not know, `passkey_cancelled` when the person dismissed the prompt.
         */
        login({ signal }?: {
            signal?: AbortSignal;
        }): Promise<User>;
        /**
         * The signed-in user's passkeys.
         * @returns {Promise<Passkey[]>}
         */
        list(): Promise<Passkey[]>;
        /**
         * @param {number | string | Passkey} passkey An id, or an entry of `list()`.
         * @param {string} name
         * @returns {Promise<Passkey>}
         */
        rename(passkey: number | string | Passkey, name: string): Promise<Passkey>;
        /**
         * Delete a passkey (recent authentication: may reject with `403 reauth_required`;
         * `409 last_sign_in_method` when it is the account's only way to sign in).
         * @param {number | string | Passkey} passkey
         * @returns {Promise<void>}
         */
        remove(passkey: number | string | Passkey): Promise<void>;
    };
    /**
     * Authenticator-app codes and recovery codes (the `totp` plugin, `/api/totp`). Setting up,
     * turning off and new recovery codes need recent authentication (`403 reauth_required`).
     */
    totp: {
        /**
         * @returns {Promise<TotpStatus>}
         */
        status(): Promise<TotpStatus>;
        /**
         * Start enrolment: a new secret, not in force until `confirm(code)` with a code from the app.
         * @returns {Promise<TotpSetup>} Rejects with `409 already_enrolled` when it is on.
         */
        setup(): Promise<TotpSetup>;
        /**
         * Turn authenticator codes on with the app's current code; the user's other sessions end.
         * @param {string} code Six digits.
         * @returns {Promise<string[]>} The ten recovery codes, shown this once.
         */
        confirm(code: string): Promise<string[]>;
        /**
         * Turn authenticator codes off; the recovery codes go too.
         * @returns {Promise<void>}
         */
        disable(): Promise<void>;
        /**
         * Ten new recovery codes; the old ones stop working.
         * @returns {Promise<string[]>}
         */
        regenerateRecoveryCodes(): Promise<string[]>;
    };
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
        providers(): Promise<OidcProvider[]>;
        /**
         * Where a "Sign in with …" link points: `href` of a plain `<a>`.
         * @param {string | OidcProvider} provider A name, or an entry of `providers()`.
         * @param {string} [next] The page to land on once signed in, a path on the site (anything
         *   else is ignored by the server, which then sends the browser to `/`).
         * @returns {string}
         */
        startUrl(provider: string | OidcProvider, next?: string): string;
        /**
         * The provider accounts linked to the signed-in user.
         * @returns {Promise<OidcIdentity[]>}
         */
        identities(): Promise<OidcIdentity[]>;
        /**
         * A URL that links a provider account to the signed-in user: open it in this browser
         * (`location.assign(url)`); the provider sends it back to `next` once linked, or to the
         * login page with `?error=oidc_already_linked` (another user's) and the like.
         * @param {string | OidcProvider} provider
         * @param {string} [next] A path on the site, e.g. `/account.html`.
         * Recent authentication: may reject with `403 reauth_required` (then `reauth()` and retry).
         * @returns {Promise<string>} Rejects with 404 for a provider the site does not have.
         */
        link(provider: string | OidcProvider, next?: string): Promise<string>;
        /**
         * Unlink a provider account (recent authentication: may reject with
         * `403 reauth_required`; `409 last_sign_in_method` when it is the account's only way to
         * sign in).
         * @param {number | OidcIdentity} identity An id, or an entry of `identities()`.
         * @returns {Promise<void>}
         */
        unlink(identity: number | OidcIdentity): Promise<void>;
    };
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
        available(): Promise<boolean>;
        /**
         * Mail a sign-in link and code to `email`. Resolves the same whether the address has an
         * account or not (nobody learns who has one).
         * @param {string} email
         * @returns {Promise<void>} Rejects with `422 validation_error` for a malformed address,
         *   `429 rate_limited` after too many requests.
         */
        request(email: string): Promise<void>;
        /**
         * Sign in with the link's token, or with the address and the mailed code.
         * @param {{token: string} | {email: string, code: string}} proof Spaces and dashes inside
         *   the code are ignored.
         * @returns {Promise<User>} Rejects with `400 invalid_token` (unknown, used, expired or
         *   wrong code), `401 mfa_required` (finish with {@link mfa}), `403 registration_closed`,
         *   `403 account_disabled`, `429 rate_limited`.
         */
        confirm(proof: {
            token: string;
        } | {
            email: string;
            code: string;
        }): Promise<User>;
    };
};
export declare const api: (path: string, options?: RequestOptions) => Promise<any>, hasSession: () => boolean, register: ({ username, email, password, invite }: {
    username: string;
    email: string;
    password: string;
    invite?: string;
}) => Promise<User>, registration: () => Promise<'open' | 'invite' | 'closed'>, login: (username: string, password: string) => Promise<User>, confirmLoginLink: (token: string) => Promise<User>, mfa: ({ token, factor, code, credential, signal }: {
    token: string;
    factor: 'totp' | 'recovery_code' | 'passkey';
    code?: string;
    credential?: Record<string, any>;
    signal?: AbortSignal;
}) => Promise<User>, reauth: (proof: Proof) => Promise<void>, logout: () => Promise<void>, logoutAll: (password: string) => Promise<void>, refresh: () => Promise<void>, me: () => Promise<Profile>, updateProfile: (changes: Partial<Profile>) => Promise<Profile>, sessions: () => Promise<Session[]>, revokeSession: (session: number | Session, password?: string) => Promise<void>, signInMethods: () => Promise<string[]>, devices: () => Promise<Device[]>, forgetDevice: (device: number | Device) => Promise<void>, activity: () => Promise<ActivityEvent[]>, changePassword: (currentPassword: string, newPassword: string) => Promise<void>, requestPasswordReset: (email: string) => Promise<void>, confirmPasswordReset: (token: string, newPassword: string) => Promise<void>, requestEmailVerification: () => Promise<void>, confirmEmail: (token: string) => Promise<void>, changeEmail: (newEmail: string, proof?: Proof) => Promise<void>, confirmEmailChange: (token: string) => Promise<void>, exportAccount: () => Promise<Record<string, object>>, deleteAccount: (password: string) => Promise<void>, data: {
    /**
     * Every stored value.
     * @returns {Promise<Record<string, *>>} key → value
     */
    list(): Promise<Record<string, any>>;
    /**
     * One value with its ETag.
     * @param {string} key 1–128 characters of `A-Z a-z 0-9 _ . : -`.
     * @returns {Promise<DataItem | null>} null when the key does not exist.
     */
    get(key: string): Promise<DataItem | null>;
    /**
     * Store a value.
     * @param {string} key
     * @param {*} value Any JSON value (at most 64 KiB serialised by default).
     * @param {{ifMatch?: string, ifNoneMatch?: string}} [conditions] `ifMatch: item.etag` writes
     *   only over that version, `ifNoneMatch: '*'` only creates; else `412 precondition_failed`.
     * @returns {Promise<DataItem>}
     */
    put(key: string, value: any, { ifMatch, ifNoneMatch }?: {
        ifMatch?: string;
        ifNoneMatch?: string;
    }): Promise<DataItem>;
    /**
     * Delete a value.
     * @param {string} key
     * @param {{ifMatch?: string}} [conditions]
     * @returns {Promise<void>} Rejects with 404 when absent, 412 on a stale `ifMatch`.
     */
    delete(key: string, { ifMatch }?: {
        ifMatch?: string;
    }): Promise<void>;
}, passkeys: {
    /**
     * Whether this browser can use passkeys (WebAuthn); says nothing about the server.
     * @returns {boolean}
     */
    supported(): boolean;
    /**
     * Create a passkey for the signed-in user on this device and store it.
     * @param {{name?: string, signal?: AbortSignal}} [options] `name`: how the list shows it.
     * @returns {Promise<Passkey>} May reject with `403 reauth_required` (see {@link reauth}),
     *   `passkey_exists`, `passkey_cancelled` or `400 invalid_credential`.
     */
    register({ name, signal }?: {
        name?: string;
        signal?: AbortSignal;
    }): Promise<Passkey>;
    /**
     * Sign in with a passkey, no username needed (a discoverable credential). A user-verified
     * passkey is two factors in one: no code is asked for.
     * @param {{signal?: AbortSignal}} [options]
     * @returns {Promise<User>} Rejects with `invalid_credentials` for a passkey the site does
     *   not know, `passkey_cancelled` when the person dismissed the prompt.
     */
    login({ signal }?: {
        signal?: AbortSignal;
    }): Promise<User>;
    /**
     * The signed-in user's passkeys.
     * @returns {Promise<Passkey[]>}
     */
    list(): Promise<Passkey[]>;
    /**
     * @param {number | string | Passkey} passkey An id, or an entry of `list()`.
     * @param {string} name
     * @returns {Promise<Passkey>}
     */
    rename(passkey: number | string | Passkey, name: string): Promise<Passkey>;
    /**
     * Delete a passkey (recent authentication: may reject with `403 reauth_required`;
     * `409 last_sign_in_method` when it is the account's only way to sign in).
     * @param {number | string | Passkey} passkey
     * @returns {Promise<void>}
     */
    remove(passkey: number | string | Passkey): Promise<void>;
}, totp: {
    /**
     * @returns {Promise<TotpStatus>}
     */
    status(): Promise<TotpStatus>;
    /**
     * Start enrolment: a new secret, not in force until `confirm(code)` with a code from the app.
     * @returns {Promise<TotpSetup>} Rejects with `409 already_enrolled` when it is on.
     */
    setup(): Promise<TotpSetup>;
    /**
     * Turn authenticator codes on with the app's current code; the user's other sessions end.
     * @param {string} code Six digits.
     * @returns {Promise<string[]>} The ten recovery codes, shown this once.
     */
    confirm(code: string): Promise<string[]>;
    /**
     * Turn authenticator codes off; the recovery codes go too.
     * @returns {Promise<void>}
     */
    disable(): Promise<void>;
    /**
     * Ten new recovery codes; the old ones stop working.
     * @returns {Promise<string[]>}
     */
    regenerateRecoveryCodes(): Promise<string[]>;
}, oidc: {
    /**
     * The providers to offer buttons for; `[]` where the site has no `oidc` plugin (404).
     * @returns {Promise<OidcProvider[]>}
     */
    providers(): Promise<OidcProvider[]>;
    /**
     * Where a "Sign in with …" link points: `href` of a plain `<a>`.
     * @param {string | OidcProvider} provider A name, or an entry of `providers()`.
     * @param {string} [next] The page to land on once signed in, a path on the site (anything
     *   else is ignored by the server, which then sends the browser to `/`).
     * @returns {string}
     */
    startUrl(provider: string | OidcProvider, next?: string): string;
    /**
     * The provider accounts linked to the signed-in user.
     * @returns {Promise<OidcIdentity[]>}
     */
    identities(): Promise<OidcIdentity[]>;
    /**
     * A URL that links a provider account to the signed-in user: open it in this browser
     * (`location.assign(url)`); the provider sends it back to `next` once linked, or to the
     * login page with `?error=oidc_already_linked` (another user's) and the like.
     * @param {string | OidcProvider} provider
     * @param {string} [next] A path on the site, e.g. `/account.html`.
     * Recent authentication: may reject with `403 reauth_required` (then `reauth()` and retry).
     * @returns {Promise<string>} Rejects with 404 for a provider the site does not have.
     */
    link(provider: string | OidcProvider, next?: string): Promise<string>;
    /**
     * Unlink a provider account (recent authentication: may reject with
     * `403 reauth_required`; `409 last_sign_in_method` when it is the account's only way to
     * sign in).
     * @param {number | OidcIdentity} identity An id, or an entry of `identities()`.
     * @returns {Promise<void>}
     */
    unlink(identity: number | OidcIdentity): Promise<void>;
}, emailLink: {
    /**
     * Whether the site has the `emaillink` plugin (its request route answers a GET with
     * `405`, and `404` where the plugin is off). Sends no mail.
     * @returns {Promise<boolean>}
     */
    available(): Promise<boolean>;
    /**
     * Mail a sign-in link and code to `email`. Resolves the same whether the address has an
     * account or not (nobody learns who has one).
     * @param {string} email
     * @returns {Promise<void>} Rejects with `422 validation_error` for a malformed address,
     *   `429 rate_limited` after too many requests.
     */
    request(email: string): Promise<void>;
    /**
     * Sign in with the link's token, or with the address and the mailed code.
     * @param {{token: string} | {email: string, code: string}} proof Spaces and dashes inside
     *   the code are ignored.
     * @returns {Promise<User>} Rejects with `400 invalid_token` (unknown, used, expired or
     *   wrong code), `401 mfa_required` (finish with {@link mfa}), `403 registration_closed`,
     *   `403 account_disabled`, `429 rate_limited`.
     */
    confirm(proof: {
        token: string;
    } | {
        email: string;
        code: string;
    }): Promise<User>;
};
