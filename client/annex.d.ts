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
 * @module annex
 */
/**
 * What every failed call rejects with.
 *
 * `status` is the HTTP status (0 when the server could not be reached), `code` the contract's
 * error code (`validation_error`, `invalid_credentials`, `token_expired`, …; `network_error`
 * without an answer, `http_error` for an answer that is not the API's JSON error), `message` a
 * human-readable text and `fields` the per-field messages of a `validation_error`
 * (`{}` otherwise).
 */
export declare class AnnexError extends Error {
    /** @type {number} */
    status: number;
    /** @type {string} */
    code: string;
    /** @type {Record<string, string>} */
    fields: Record<string, string>;
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
/**
 * Whether `next` may be followed after a login: a path on this site ("/" but not "//", no
 * backslash, no control character). Anything else is replaced by `fallback`.
 *
 * @param {string | null | undefined} next A `?next=` value.
 * @param {string} [fallback='/']
 * @returns {string}
 */
export declare function safeNext(next: string | null | undefined, fallback?: string): string;
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
export type ActivityEvent = {
    /**
     * `register`, `login`, `login_failed`, `refresh_reuse`, `logout`,
     * `logout_all`, `session_revoked`, `password_changed`, `password_reset`, `email_verified`.
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
     * @param {{username: string, email: string, password: string}} account
     * @returns {Promise<User>}
     */
    register({ username, email, password }: {
        username: string;
        email: string;
        password: string;
    }): Promise<User>;
    /**
     * Log in with a username (or email address) and password.
     * @param {string} username
     * @param {string} password
     * @returns {Promise<User>} Rejects with `invalid_credentials` when either is wrong.
     */
    login(username: string, password: string): Promise<User>;
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
     * @param {{username: string, email: string, password: string}} account
     * @returns {Promise<User>}
     */
    register({ username, email, password }: {
        username: string;
        email: string;
        password: string;
    }): Promise<User>;
    /**
     * Log in with a username (or email address) and password.
     * @param {string} username
     * @param {string} password
     * @returns {Promise<User>} Rejects with `invalid_credentials` when either is wrong.
     */
    login(username: string, password: string): Promise<User>;
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
     * @param {{username: string, email: string, password: string}} account
     * @returns {Promise<User>}
     */
    register({ username, email, password }: {
        username: string;
        email: string;
        password: string;
    }): Promise<User>;
    /**
     * Log in with a username (or email address) and password.
     * @param {string} username
     * @param {string} password
     * @returns {Promise<User>} Rejects with `invalid_credentials` when either is wrong.
     */
    login(username: string, password: string): Promise<User>;
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
};
export declare const api: (path: string, options?: RequestOptions) => Promise<any>, hasSession: () => boolean, register: ({ username, email, password }: {
    username: string;
    email: string;
    password: string;
}) => Promise<User>, login: (username: string, password: string) => Promise<User>, logout: () => Promise<void>, logoutAll: (password: string) => Promise<void>, refresh: () => Promise<void>, me: () => Promise<Profile>, updateProfile: (changes: Partial<Profile>) => Promise<Profile>, sessions: () => Promise<Session[]>, revokeSession: (session: number | Session, password?: string) => Promise<void>, activity: () => Promise<ActivityEvent[]>, changePassword: (currentPassword: string, newPassword: string) => Promise<void>, requestPasswordReset: (email: string) => Promise<void>, confirmPasswordReset: (token: string, newPassword: string) => Promise<void>, requestEmailVerification: () => Promise<void>, confirmEmail: (token: string) => Promise<void>, exportAccount: () => Promise<Record<string, object>>, deleteAccount: (password: string) => Promise<void>, data: {
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
