import { AnnexError, api, login, me, mfa, passkeys, safeNext } from '/annex.js';
import { clearErrors, fieldError, formError, message, onSubmit } from '/ui.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'), '/account.html');
const form = $('login-form');
const mfaForm = $('mfa-form');
/** Where a sign-in that was sent back here failed (`?error=`, e.g. from an OpenID provider). */
const NOTICES = {
  registration_closed: 'This site is not taking new accounts.',
  account_disabled: 'This account has been disabled.',
  oidc_account_exists: 'An account with that email address exists already: log in with it, then link the provider on your account page.',
};

if (params.has('next')) {
  const register = $('register-link');
  register.search = new URLSearchParams({ next }).toString();
}

// --- the second step ------------------------------------------------------------------------------

/** The open MFA challenge: `{token, factors}`, and which code the form asks for now. */
let challenge = null;
let factor = 'totp';

function showFactor(which) {
  factor = which;
  const codes = challenge.factors.filter((name) => name !== 'passkey');
  $('totp-field').hidden = which !== 'totp';
  $('recovery-field').hidden = which !== 'recovery_code';
  $('mfa-submit').hidden = !codes.length;
  $('mfa-switch-row').hidden = codes.length < 2;
  $('mfa-passkey').classList.toggle('secondary', codes.length > 0);
  $('mfa-switch').textContent = which === 'totp' ? 'Use a recovery code instead' : 'Use an authenticator code instead';
  $('mfa-text').textContent = !codes.length
    ? 'Use your passkey to finish signing in.'
    : which === 'totp'
      ? 'Enter the 6-digit code from your authenticator app.'
      : 'Enter one of your recovery codes.';
  clearErrors(mfaForm);
}

/** Ask for the second factor of `mfa` (an `error.mfa` of annex.js). */
function askSecondFactor(mfaChallenge) {
  challenge = mfaChallenge;
  mfaForm.reset();
  form.hidden = true;
  $('login-title').textContent = 'One more step';
  $('mfa-passkey').hidden = !challenge.factors.includes('passkey') || !passkeys.supported();
  showFactor(challenge.factors.includes('totp') ? 'totp' : challenge.factors.includes('recovery_code') ? 'recovery_code' : 'passkey');
  mfaForm.hidden = false;
  const input = factor === 'totp' ? $('mfa-code') : factor === 'recovery_code' ? $('recovery-code') : $('mfa-passkey');
  input.focus();
}

function startAgain() {
  challenge = null;
  mfaForm.hidden = true;
  form.hidden = false;
  $('login-title').textContent = 'Log in';
  form.elements.password.value = '';
  form.elements.password.focus();
}

/** A spent or expired challenge can only be started again: say so, and offer the way. */
function challengeEnded(error) {
  if (!(error instanceof AnnexError) || error.code !== 'invalid_token') return false;
  formError(mfaForm, 'This sign-in has expired or had too many wrong codes. Start again.');
  $('mfa-restart').focus();
  return true;
}

$('mfa-switch').addEventListener('click', () => {
  showFactor(factor === 'totp' ? 'recovery_code' : 'totp');
  (factor === 'totp' ? $('mfa-code') : $('recovery-code')).focus();
});

$('mfa-restart').addEventListener('click', (event) => {
  event.preventDefault();
  startAgain();
});

onSubmit(mfaForm, async ({ code, recovery_code: recovery }) => {
  const field = factor === 'totp' ? 'code' : 'recovery_code';
  const value = (factor === 'totp' ? code.replace(/\s+/g, '') : recovery.trim());
  if (!value) {
    fieldError(mfaForm, field, factor === 'totp' ? 'Enter the code your app shows.' : 'Enter a recovery code.').focus();
    return;
  }
  try {
    await mfa({ token: challenge.token, factor, code: value });
  } catch (error) {
    if (challengeEnded(error)) return;
    if (error instanceof AnnexError && error.code === 'invalid_code') {
      const text = factor === 'totp'
        ? 'That code is not right. Enter the code your app shows now.'
        : 'That recovery code is not right, or it was used already.';
      fieldError(mfaForm, field, text).focus();
      return;
    }
    throw error;
  }
  location.assign(next);
});

$('mfa-passkey').addEventListener('click', async () => {
  clearErrors(mfaForm);
  const button = $('mfa-passkey');
  button.disabled = true;
  try {
    await mfa({ token: challenge.token, factor: 'passkey' });
    location.assign(next);
  } catch (error) {
    if (challengeEnded(error)) return;
    const known = error instanceof AnnexError && error.code === 'invalid_code';
    formError(mfaForm, known ? 'That passkey is not one of this account’s. Try another, or a code.' : message(error));
    mfaForm.querySelector('.form-error').focus();
  } finally {
    button.disabled = false;
  }
});

// --- the first step: a password, or a passkey -------------------------------------------------------

onSubmit(form, async ({ username, password }) => {
  try {
    await login(username.trim(), password);
  } catch (error) {
    if (error instanceof AnnexError && error.code === 'mfa_required' && error.mfa) {
      askSecondFactor(error.mfa);
      return;
    }
    throw error;
  }
  location.assign(next);
});

$('passkey-login').addEventListener('click', async () => {
  clearErrors(form);
  const button = $('passkey-login');
  button.disabled = true;
  try {
    await passkeys.login();
    location.assign(next);
  } catch (error) {
    const unknown = error instanceof AnnexError && error.code === 'invalid_credentials';
    formError(form, unknown ? 'This site does not know that passkey. Log in with your password.' : message(error));
    form.querySelector('.form-error').focus();
  } finally {
    button.disabled = false;
  }
});

/** Offer passkeys where the browser has them and the site has the passkeys plugin (its list
 *  answers 401 to a visitor, 404 where the plugin is off). */
async function offerPasskeys() {
  if (!passkeys.supported()) return;
  try {
    await api('/api/passkeys', { refresh: false });
  } catch (error) {
    if (!(error instanceof AnnexError) || error.status === 404 || error.status === 0) return;
  }
  $('passkey-row').hidden = false;
}

// A sign-in elsewhere (an OpenID provider) that needs a second factor arrives as ?mfa=<token>.
if (params.has('mfa')) {
  const token = params.get('mfa');
  params.delete('mfa');
  const query = params.toString();
  history.replaceState(history.state, '', location.pathname + (query ? `?${query}` : ''));
  askSecondFactor({ token, factors: ['totp', 'recovery_code', 'passkey'], expiresIn: 300 });
}
if (params.has('error')) {
  const notice = $('login-notice');
  notice.textContent = NOTICES[params.get('error')] || 'Signing in did not work. Try again.';
  notice.hidden = false;
}

offerPasskeys();

// Already logged in (perhaps only the access token had expired)? Then go on, or say so.
try {
  const user = await me();
  if (params.has('next')) {
    location.replace(next);
  } else {
    const note = $('already');
    note.textContent = `You are logged in as ${user.username}. `;
    const link = Object.assign(document.createElement('a'), { href: '/account.html', textContent: 'Go to your account' });
    note.append(link);
    note.hidden = false;
  }
} catch {
  // not logged in: the form is what this page is for
}
