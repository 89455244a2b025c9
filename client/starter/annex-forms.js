// Form helpers of the account pages that `annex init` copied: an error next to its field
// (aria-invalid, aria-describedby), anything else in the form's alert. Restyle or replace freely.
import { AnnexError } from '/annex.js';

/** Words for the error codes a visitor may meet; any other shows the server's message. */
const MESSAGES = {
  invalid_credentials: 'Wrong username or password.',
  network_error: 'The server could not be reached. Check your connection and try again.',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  csrf_failed: 'Your session could not be verified. Reload the page and try again.',
  unauthorized: 'You are not logged in.',
  invalid_token: 'This link has expired or was already used. Ask for a new one.',
};

export function message(error) {
  if (error instanceof AnnexError) return MESSAGES[error.code] || error.message;
  return 'Something went wrong. Try again.';
}

function clear(form) {
  for (const node of form.querySelectorAll('.field-error')) node.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    input.setAttribute('aria-describedby', (input.dataset.describedby || '').trim());
    if (!input.getAttribute('aria-describedby')) input.removeAttribute('aria-describedby');
  }
  form.querySelector('.form-error').textContent = '';
}

/** Show `text` under the field named `name`; returns its input, or null when there is none. */
export function fieldError(form, name, text) {
  const input = form.elements.namedItem(name);
  if (!input || !input.id) return null;
  const note = Object.assign(document.createElement('span'), {
    id: `${input.id}-error`,
    className: 'field-error',
    textContent: text[0].toUpperCase() + text.slice(1) + (/[.!?]$/.test(text) ? '' : '.'),
  });
  input.after(note);
  input.dataset.describedby ??= input.getAttribute('aria-describedby') || '';
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', `${input.dataset.describedby} ${note.id}`.trim());
  return input;
}

/**
 * Run `action(values)` when `form` is submitted; its failures are shown in the form. The page
 * ships its submit button disabled and this enables it: a click before the script has loaded
 * (a slow network, a dev server still bundling) would post the form to the static server.
 */
export function onSubmit(form, action) {
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clear(form);
    const button = form.querySelector('[type=submit]');
    button.disabled = true;
    try {
      await action(Object.fromEntries(new FormData(form)));
    } catch (error) {
      if (!(error instanceof AnnexError)) console.error(error);
      let first = null;
      const leftover = [];
      for (const [name, text] of Object.entries(error.fields || {})) {
        const input = fieldError(form, name, text);
        if (input) first ??= input;
        else leftover.push(`${name}: ${text}`);
      }
      if (!first || leftover.length) {
        const alert = form.querySelector('.form-error');
        alert.textContent = leftover.length ? leftover.join('; ') : message(error);
        first ??= alert;
      }
      first.focus();
    } finally {
      button.disabled = false;
    }
  });
  form.querySelector('[type=submit]').disabled = false;
}

/** The token of a mailed link (taken from the address bar by /mailed-token.js), or null. */
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
