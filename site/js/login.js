import { AnnexError, api, emailLink, login, me, mfa, oidc, passkeys, safeNext } from '/annex.js';
import { clearErrors, fieldError, formError, message, onSubmit } from '/ui.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'), '/account.html');
const form = $('login-form');
const mfaForm = $('mfa-form');
const emailForm = $('emaillink-form');
const codeForm = $('emailcode-form');
/** Where a sign-in that was sent back here failed (`?error=`: an OpenID provider, docs/oidc.md). */
const NOTICES = {
  registration_closed: 'This site is not taking new accounts.',
  account_disabled: 'This account has been disabled.',
  oidc_invalid_state: 'That sign-in was not started in this browser, was used already or took too long. Try again.',
  oidc_denied: 'The sign-in was cancelled at the other site, so you are not signed in.',
  oidc_provider_error: 'The other site could not be reached or reported a problem. Try again later.',
  oidc_invalid_token: 'The other site’s answer could not be verified, so you are not signed in. Try again.',
  oidc_account_exists: 'An account with that email address exists already: log in with it, then link the provider on your account page.',
  oidc_already_linked: 'That account at the other site is linked to another user of this site already.',
  oidc_no_email: 'The other site did not tell us your email address, which a new account needs.',
  oidc_unknown_provider: 'This site does not offer sign-in with that provider.',
  oidc_sign_in_failed: 'Signing in did not work. Try again, or log in another way.',
  oidc_no_session: 'This site cannot keep a browser signed in this way. Log in with your password.',
};
/** The second factors a challenge handed in the address (`?factors=`) may name. */
const FACTORS = ['totp', 'recovery_code', 'passkey'];

/** Show one of the page's forms (the first step, the email steps, the second step). */
function showOnly(shown, title = 'Log in') {
  for (const each of [form, emailForm, codeForm, mfaForm]) each.hidden = each !== shown;
  $('login-title').textContent = title;
}

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
  showOnly(mfaForm, 'One more step');
  $('mfa-passkey').hidden = !challenge.factors.includes('passkey') || !passkeys.supported();
  showFactor(challenge.factors.includes('totp') ? 'totp' : challenge.factors.includes('recovery_code') ? 'recovery_code' : 'passkey');
  const input = factor === 'totp' ? $('mfa-code') : factor === 'recovery_code' ? $('recovery-code') : $('mfa-passkey');
  input.focus();
}

function startAgain() {
  challenge = null;
  showOnly(form);
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
    if (error instanceof AnnexError && error.code === 'rate_limited') {
      // Too many tries from here, or an account locked by wrong passwords: its owner was mailed
      // a link that signs in (login-link.html), and a browser that signed in before still can.
      formError(form, 'Too many attempts. Wait a while, then try again. If wrong passwords locked your '
        + 'account, we emailed you a link that signs you in.');
      form.querySelector('.form-error').focus();
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

// --- the first step by email: a link and a code ------------------------------------------------------

let mailedTo = '';

$('emaillink-start').addEventListener('click', () => {
  emailForm.reset();
  clearErrors(emailForm);
  const typed = form.elements.username.value.trim();
  if (typed.includes('@')) emailForm.elements.email.value = typed;
  showOnly(emailForm);
  $('emaillink-email').focus();
});

for (const back of document.querySelectorAll('[data-back]')) back.addEventListener('click', startAgain);

$('emailcode-again').addEventListener('click', () => {
  clearErrors(emailForm);
  emailForm.elements.email.value = mailedTo;
  showOnly(emailForm);
  $('emaillink-email').select();
  $('emaillink-email').focus();
});

onSubmit(emailForm, async ({ email }) => {
  const address = email.trim();
  if (!/^[^\s@]+@[^\s@]+$/.test(address)) {
    fieldError(emailForm, 'email', 'Enter your email address, e.g. ada@example.com.').focus();
    return;
  }
  await emailLink.request(address);
  mailedTo = address;
  codeForm.reset();
  clearErrors(codeForm);
  $('emailcode-text').textContent = `If an account exists for ${address}, we sent it a sign-in link and a code. `
    + 'Open the link in this browser, or enter the code here.';
  showOnly(codeForm);
  $('emailcode-code').focus();
}, { rate_limited: ['email', 'Too many sign-in emails were asked for. Wait a while, then try again.'] });

onSubmit(codeForm, async ({ code }) => {
  const digits = code.replace(/[\s-]+/g, '');
  if (!/^\d{6}$/.test(digits)) {
    fieldError(codeForm, 'code', 'Enter the 6 digits from the email.').focus();
    return;
  }
  try {
    await emailLink.confirm({ email: mailedTo, code: digits });
  } catch (error) {
    if (error instanceof AnnexError && error.code === 'mfa_required' && error.mfa) {
      askSecondFactor(error.mfa);
      return;
    }
    throw error;
  }
  location.assign(next);
}, {
  invalid_token: ['code', 'That code is not right, has expired, or was used already (the link or the code). Check the newest email, or send a new link.'],
  rate_limited: ['code', 'Too many wrong codes from here. Wait a while, then try again.'],
});

// --- which other ways this site offers ----------------------------------------------------------------

/** Passkeys where the browser has them and the site has the passkeys plugin (its list answers
 *  401 to a visitor, 404 where the plugin is off). */
async function offerPasskeys() {
  if (!passkeys.supported()) return false;
  try {
    await api('/api/passkeys', { refresh: false });
  } catch (error) {
    if (!(error instanceof AnnexError) || error.status === 404 || error.status === 0) return false;
  }
  $('passkey-row').hidden = false;
  return true;
}

/** A "Sign in with …" link per OpenID provider of the site (none without the oidc plugin). */
async function offerProviders() {
  const providers = await oidc.providers().catch(() => []);
  if (!providers.length) return false;
  const items = providers.map((provider) => {
    const link = Object.assign(document.createElement('a'), {
      className: 'button secondary',
      href: oidc.startUrl(provider, next),
      textContent: `Sign in with ${provider.label}`,
    });
    const item = document.createElement('li');
    item.append(link);
    return item;
  });
  $('oidc-list').replaceChildren(...items);
  $('oidc-list').hidden = false;
  return true;
}

/** The "email me a link" button, where the site has the emaillink plugin. */
async function offerEmailLink() {
  if (!(await emailLink.available().catch(() => false))) return false;
  $('emaillink-row').hidden = false;
  return true;
}

async function offerOtherWays() {
  const offered = await Promise.all([offerPasskeys(), offerProviders(), offerEmailLink()]);
  $('other-ways').hidden = !offered.some(Boolean);
}

// A sign-in elsewhere (an OpenID provider, a mailed link) that needs a second factor arrives as
// ?mfa=<token>&factors=<list>&next=<path>: the token leaves the address bar at once.
if (params.has('mfa')) {
  const token = params.get('mfa');
  const named = (params.get('factors') || '').split(',').filter((name) => FACTORS.includes(name));
  params.delete('mfa');
  params.delete('factors');
  const query = params.toString();
  history.replaceState(history.state, '', location.pathname + (query ? `?${query}` : ''));
  askSecondFactor({ token, factors: named.length ? named : FACTORS, expiresIn: 300 });
}
if (params.has('error')) {
  const notice = $('login-notice');
  notice.textContent = NOTICES[params.get('error')] || 'Signing in did not work. Try again.';
  notice.hidden = false;
}

offerOtherWays();

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
