// Form helpers shared by the demo pages: field errors next to their fields, tied with
// aria-describedby and aria-invalid; a form-level alert for everything else.
import { AnnexError } from '/annex.js';

/** Messages for error codes a person may meet; others fall back to the server's message. */
const MESSAGES = {
  invalid_credentials: 'Wrong username or password.',
  network_error: 'The server could not be reached. Check your connection and try again.',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  csrf_failed: 'Your session could not be verified. Reload the page and try again.',
  token_revoked: 'Your session has ended. Log in again.',
  unauthorized: 'You are not logged in.',
  invalid_token: 'This link has expired or was already used. Ask for a new one.',
  invalid_code: 'That code is not right.',
  registration_closed: 'This site is not taking new accounts.',
  account_disabled: 'This account has been disabled.',
  reauth_required: 'Confirm it is you first.',
  already_enrolled: 'Two-step verification is on already.',
  last_sign_in_method: 'This is the last way you can sign in: add another one before removing it.',
  invalid_credential: 'The passkey could not be verified. Try again.',
  passkey_cancelled: 'The passkey prompt was closed before it finished. Try again.',
  passkey_exists: 'This device already holds a passkey for your account.',
  passkey_unsupported: 'This browser cannot use passkeys on this site.',
  passkey_failed: 'The passkey did not work. Try again.',
};

export function message(error) {
  if (error instanceof AnnexError) return MESSAGES[error.code] || error.message;
  return 'Something went wrong. Try again.';
}

export function describedBy(input, id, add) {
  const ids = new Set((input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean));
  if (add) ids.add(id);
  else ids.delete(id);
  if (ids.size) input.setAttribute('aria-describedby', [...ids].join(' '));
  else input.removeAttribute('aria-describedby');
}

/** Show `text` as the error of the field named `name` in `form`; returns the input or null. */
export function fieldError(form, name, text) {
  const input = form.elements.namedItem(name);
  if (!input || !input.id) return null;
  const id = `${input.id}-error`;
  let node = document.getElementById(id);
  if (!node) {
    node = document.createElement('p');
    node.id = id;
    node.className = 'field-error';
    const field = input.closest('.field');
    if (field) field.append(node);
    else input.after(node);
  }
  node.textContent = text;
  input.setAttribute('aria-invalid', 'true');
  describedBy(input, id, true);
  return input;
}

/** Remove every error shown in `form`. */
export function clearErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    describedBy(input, `${input.id}-error`, false);
  }
  for (const node of form.querySelectorAll('.field-error')) node.remove();
  const alert = form.querySelector('.form-error');
  if (alert) alert.textContent = '';
}

/** Show the form-level message (the element with class form-error and role=alert). */
export function formError(form, text) {
  const alert = form.querySelector('.form-error');
  if (alert) alert.textContent = text;
}

/**
 * Show an error: each validation field next to its input (the first one focused), anything
 * else in the form's alert. `fieldFor` maps an error code to a field name, or to
 * `[field, text]` (e.g. a wrong current password shown next to that field).
 */
export function showError(form, error, fieldFor = {}) {
  let first = null;
  const fields = error instanceof AnnexError ? error.fields : {};
  const leftover = [];
  for (const [name, text] of Object.entries(fields)) {
    const input = fieldError(form, name, capitalise(text));
    if (input) first ??= input;
    else leftover.push(`${name}: ${text}`);
  }
  const target = error instanceof AnnexError ? fieldFor[error.code] : undefined;
  if (target) {
    const [name, text] = [].concat(target);
    first ??= fieldError(form, name, text || message(error));
  }
  if (!first || leftover.length) formError(form, leftover.length ? leftover.join('; ') : message(error));
  (first || form.querySelector('.form-error'))?.focus?.();
}

function capitalise(text) {
  return text ? text[0].toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.') : text;
}

/** The form's named fields as an object of strings. */
export function values(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/**
 * Run `action(values)` on submit: errors cleared first, the submit button disabled while it
 * runs, failures shown by {@link showError}.
 */
export function onSubmit(form, action, fieldFor) {
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = form.querySelector('[type=submit]');
    if (button) button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await action(values(form));
    } catch (error) {
      if (!(error instanceof AnnexError)) console.error(error);
      showError(form, error, fieldFor);
    } finally {
      if (button) button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/** Put `text` in a status region (role=status), optionally as an error. */
export function status(node, text, isError = false) {
  node.textContent = text;
  node.classList.toggle('is-error', isError);
}

export function when(timestamp) {
  return timestamp ? new Date(timestamp).toLocaleString() : '—';
}

/** The one-time token of a mailed link, taken from the address bar by /mailed-token.js (or here,
 *  should that script not have run); null without one. It stays out of the URL either way. */
export function takeToken() {
  let token = window.annexMailedToken ?? null;
  delete window.annexMailedToken;
  const params = new URLSearchParams(location.search);
  if (params.has('token')) {
    token ??= params.get('token');
    params.delete('token');
    const query = params.toString();
    history.replaceState(history.state, '', location.pathname + (query ? `?${query}` : '') + location.hash);
  }
  return token;
}
