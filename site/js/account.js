import * as annex from '/annex.js';
import { AnnexError } from '/annex.js';
import { clearErrors, fieldError, formError, message, onSubmit, status, when } from '/ui.js';
import qrcode from '/vendor/qrcode-generator/qrcode.js';

const $ = (id) => document.getElementById(id);
const PROFILE_FIELDS = ['display_name', 'bio', 'avatar_url'];
const EVENTS = {
  register: 'Account created',
  login: 'Logged in',
  login_failed: 'Failed login attempt',
  refresh_reuse: 'A stolen token was refused: that session was ended',
  logout: 'Logged out',
  logout_all: 'Logged out everywhere',
  session_revoked: 'Session ended',
  password_changed: 'Password changed',
  password_reset: 'Password reset by email',
  email_verified: 'Email address confirmed',
  mfa_enabled: 'Two-step verification turned on',
  mfa_disabled: 'Two-step verification turned off',
  recovery_code_used: 'Signed in with a recovery code',
  recovery_codes_regenerated: 'New recovery codes made',
  passkey_added: 'Passkey added',
  passkey_removed: 'Passkey removed',
  passkey_clone_suspected: 'A copied passkey was refused',
  oidc_linked: 'Account at another site linked',
  oidc_unlinked: 'Account at another site unlinked',
  account_locked: 'Account locked after too many wrong passwords: a sign-in link was emailed',
  device_forgotten: 'Browser forgotten',
};
/** How a session was signed in, from its `methods` (RFC 8176 amr values). */
const METHODS = { pwd: 'password', otp: 'authenticator code', hwk: 'passkey', swk: 'passkey', fed: 'another site', mail: 'emailed link' };
let profile = null;
let note = null;

// Every way the session can end (here, in another tab, an expired refresh) leads to one place.
window.addEventListener('annex:logout', (event) => {
  location.replace(event.detail.reason === 'account_deleted' ? '/?account=deleted' : '/login.html');
});

/** A short description of a browser, e.g. "Chrome on Linux". */
function device(agent) {
  if (!agent) return 'Unknown device';
  const browser = /Edg\//.test(agent) ? 'Edge' : /Firefox\//.test(agent) ? 'Firefox'
    : /Chrom(e|ium)\//.test(agent) ? 'Chrome' : /Safari\//.test(agent) ? 'Safari' : 'A browser';
  const system = /Android/.test(agent) ? 'Android' : /iPhone|iPad/.test(agent) ? 'iOS'
    : /Windows/.test(agent) ? 'Windows' : /Mac OS X/.test(agent) ? 'macOS'
    : /Linux/.test(agent) ? 'Linux' : 'an unknown system';
  return `${browser} on ${system}`;
}

/** `some_event` → "Some event", for activity this page has no words for. */
function humanise(type) {
  const text = String(type).replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function element(tag, properties = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

// --- the password dialog (logout everywhere, ending another session, deleting the account) -----

let pending = null;
const dialog = $('password-dialog');
const dialogForm = $('dialog-form');

/** Ask for the password, then run `action(password)`; resolves true when it succeeded. */
function askPassword({ title, text, confirm, danger = false, action }) {
  $('dialog-title').textContent = title;
  $('dialog-text').textContent = text;
  $('dialog-confirm').textContent = confirm;
  $('dialog-confirm').classList.toggle('danger', danger);
  dialogForm.reset();
  clearErrors(dialogForm);
  return new Promise((resolve) => {
    pending = { action, resolve };
    dialog.showModal();
  });
}

onSubmit(
  dialogForm,
  async ({ password }) => {
    if (!password) {
      fieldError(dialogForm, 'password', 'Enter your password.').focus();
      return;
    }
    await pending.action(password);
    const { resolve } = pending;
    pending = null;
    dialog.close();
    resolve(true);
  },
  { invalid_credentials: ['password', 'That is not your password.'] },
);
$('dialog-cancel').addEventListener('click', () => dialog.close());
dialog.addEventListener('close', () => {
  pending?.resolve(false);
  pending = null;
});

// --- profile -------------------------------------------------------------------------------------

function showProfile() {
  $('p-name').textContent = profile.display_name || profile.username;
  $('p-username').textContent = profile.display_name ? `@${profile.username}` : '';
  $('p-email').textContent = profile.email;
  $('email-current').textContent = profile.email;
  $('p-verified').textContent = profile.email_verified ? 'confirmed' : 'not confirmed';
  $('p-verified').className = `badge ${profile.email_verified ? 'ok' : 'warn'}`;
  $('verify-row').hidden = profile.email_verified;
  $('p-since').textContent = new Date(profile.created_at).toLocaleDateString();
  $('p-roles').textContent = profile.roles.join(', ') || 'none';
  $('password-form-username').value = profile.username;
  const avatar = $('avatar');
  avatar.hidden = !profile.avatar_url;
  if (profile.avatar_url) avatar.src = profile.avatar_url;
  else avatar.removeAttribute('src');
}

function fillProfileForm() {
  const form = $('profile-form');
  for (const name of PROFILE_FIELDS) form.elements[name].value = profile[name] ?? '';
}

$('avatar').addEventListener('error', () => {
  $('avatar').hidden = true;
});

onSubmit($('profile-form'), async (values) => {
  status($('profile-status'), '');
  const changes = {};
  for (const name of PROFILE_FIELDS) changes[name] = values[name].trim() || null;
  profile = await annex.updateProfile(changes);
  showProfile();
  fillProfileForm();
  status($('profile-status'), 'Profile saved.');
});

$('send-verification').addEventListener('click', async () => {
  try {
    await annex.requestEmailVerification();
    status($('verify-status'), `We sent a link to ${profile.email}. Open it to confirm the address.`);
  } catch (error) {
    status($('verify-status'), message(error), true);
  }
});

// --- email address -------------------------------------------------------------------------------

const emailForm = $('email-form');
onSubmit(
  emailForm,
  async ({ new_email: wanted }) => {
    status($('email-status'), '');
    const address = wanted.trim();
    if (!address) {
      fieldError(emailForm, 'new_email', 'Enter the new address.').focus();
      return;
    }
    const asked = await stepUp(() => annex.changeEmail(address), 'To change your email address, confirm it is you.');
    if (!asked.done) return;
    emailForm.reset();
    status($('email-status'), `We sent a confirmation link to ${address}; your address changes when you open it.`);
  },
  {
    email_taken: ['new_email', 'Another account has this address.'],
    rate_limited: ['new_email', 'Too many changes asked for. Wait an hour, then try again.'],
  },
);

// --- sessions ------------------------------------------------------------------------------------

async function loadSessions() {
  const list = $('sessions-list');
  const rows = (await annex.sessions()).map((session) => {
    const title = element('p', {}, element('strong', { textContent: device(session.user_agent) }));
    if (session.current) title.append(' ', element('span', { className: 'badge ok', textContent: 'this device' }));
    const how = [...new Set((session.methods || []).map((method) => METHODS[method]).filter(Boolean))];
    const meta = element('p', {
      className: 'meta',
      textContent: `${session.ip || 'unknown address'} · logged in ${when(session.created_at)}${how.length ? ` with ${how.join(' and ')}` : ''} · last active ${when(session.last_used_at)}`,
    });
    const button = element('button', {
      type: 'button',
      className: 'small secondary',
      textContent: session.current ? 'Log out here' : 'End session',
    });
    button.setAttribute('aria-label', `${button.textContent}: ${device(session.user_agent)}, ${when(session.created_at)}`);
    button.addEventListener('click', () => endSession(session));
    return element('li', {}, element('div', { className: 'what' }, title, meta), button);
  });
  list.replaceChildren(...rows);
}

async function endSession(session) {
  if (session.current) {
    await annex.revokeSession(session); // dispatches annex:logout
    return;
  }
  const done = await askPassword({
    title: 'End this session?',
    text: `${device(session.user_agent)} (${session.ip || 'unknown address'}) will have to log in again.`,
    confirm: 'End session',
    action: (password) => annex.revokeSession(session, password),
  });
  if (done) {
    status($('sessions-status'), 'The session has ended.');
    refreshLists();
  }
}

$('logout').addEventListener('click', async () => {
  try {
    await annex.logout();
  } catch (error) {
    status($('sessions-status'), message(error), true);
  }
});

$('logout-all').addEventListener('click', () =>
  askPassword({
    title: 'Log out everywhere?',
    text: 'Every session of your account ends, this one included.',
    confirm: 'Log out everywhere',
    action: (password) => annex.logoutAll(password),
  }),
);

// --- devices -------------------------------------------------------------------------------------

async function loadDevices() {
  const rows = (await annex.devices()).map((known) => {
    const name = known.browser || device(known.user_agent);
    const title = element('p', {}, element('strong', { textContent: name }));
    if (known.current) title.append(' ', element('span', { className: 'badge ok', textContent: 'this browser' }));
    const meta = element('p', {
      className: 'meta',
      textContent: `${known.ip || 'unknown address'} · last used ${when(known.last_used_at)} · first ${when(known.created_at)}`,
    });
    const button = element('button', { type: 'button', className: 'small secondary', textContent: 'Forget' });
    button.setAttribute('aria-label', `Forget ${known.current ? 'this browser' : name}, last used ${when(known.last_used_at)}`);
    button.addEventListener('click', () => forgetDevice(known, name, button));
    return element('li', {}, element('div', { className: 'what' }, title, meta), button);
  });
  $('devices-list').replaceChildren(...(rows.length ? rows : [element('li', { textContent: 'None yet.' })]));
}

async function forgetDevice(known, name, button) {
  button.disabled = true;
  try {
    await annex.forgetDevice(known);
    status($('devices-status'), known.current
      ? 'This browser is forgotten: while your account is locked, it will need the emailed link.'
      : `${name} is forgotten.`);
    await refreshLists();
  } catch (error) {
    button.disabled = false;
    status($('devices-status'), message(error), true);
  }
}

// --- password ------------------------------------------------------------------------------------

const passwordForm = $('password-form');
onSubmit(
  passwordForm,
  async ({ current_password: current, new_password: password, confirm_password: again }) => {
    status($('password-status'), '');
    if (password !== again) {
      fieldError(passwordForm, 'confirm_password', 'The two passwords differ.').focus();
      return;
    }
    await annex.changePassword(current, password);
    passwordForm.reset();
    $('password-form-username').value = profile.username;
    status($('password-status'), 'Password changed. Your other sessions have ended.');
    refreshLists();
  },
  { invalid_credentials: ['current_password', 'That is not your current password.'] },
);

// An account without a password (made by a passkey, a provider or a mailed link) sets one by mail.
async function loadMethods() {
  const has = (await annex.signInMethods()).includes('password');
  $('password-title').textContent = has ? 'Change your password' : 'Set a password';
  passwordForm.hidden = !has;
  $('set-password').hidden = has;
}

$('set-password-button').addEventListener('click', async () => {
  const button = $('set-password-button');
  button.disabled = true;
  try {
    await annex.requestPasswordReset(profile.email);
    status($('set-password-status'), `A link that sets your password is on its way to ${profile.email}.`);
  } catch (error) {
    button.disabled = false;
    status($('set-password-status'), message(error), true);
  }
});

// --- private note (per-user data) -----------------------------------------------------------------

// The note field stays disabled until the stored note is in it: text typed earlier would be
// overwritten by the answer, or saved over a note the page never showed.
async function loadNote() {
  note = await annex.data.get('note');
  $('note').value = note ? String(note.value ?? '') : '';
  $('note').disabled = false;
  $('note-save').disabled = false;
}

onSubmit($('note-form'), async ({ note: text }) => {
  status($('note-status'), '');
  try {
    note = await annex.data.put('note', text, note ? { ifMatch: note.etag } : { ifNoneMatch: '*' });
    status($('note-status'), 'Note saved.');
  } catch (error) {
    if (!(error instanceof AnnexError) || error.code !== 'precondition_failed') throw error;
    await loadNote();
    status($('note-status'), 'The note was changed elsewhere; here is the newer version.', true);
  }
});

// --- activity ------------------------------------------------------------------------------------

async function loadActivity() {
  const events = await annex.activity();
  const rows = events.map((event) =>
    element(
      'li',
      {},
      element(
        'div',
        { className: 'what' },
        element('p', {}, element('strong', { textContent: EVENTS[event.type] || humanise(event.type) })),
        element('p', {
          className: 'meta',
          textContent: `${when(event.at)} · ${event.ip || 'unknown address'} · ${device(event.user_agent)}`,
        }),
      ),
    ),
  );
  $('activity-list').replaceChildren(...(rows.length ? rows : [element('li', { textContent: 'Nothing yet.' })]));
}

function refreshLists() {
  return Promise.all([
    loadSessions(),
    loadActivity(),
    loadDevices().catch((error) => status($('devices-status'), message(error), true)),
  ]).catch((error) => status($('sessions-status'), message(error), true));
}

// --- step-up: confirm it is you, then retry ------------------------------------------------------

const reauthDialog = $('reauth-dialog');
const reauthForm = $('reauth-form');
let proving = null; // {resolve, methods, with: 'password' | 'code'}

function proveWith(kind) {
  proving.with = kind;
  const codes = proving.methods.includes('totp') || proving.methods.includes('recovery_code');
  $('reauth-password-field').hidden = kind !== 'password';
  $('reauth-code-field').hidden = kind !== 'code';
  const other = kind === 'password' ? (codes ? 'code' : null) : proving.methods.includes('password') ? 'password' : null;
  $('reauth-switch').hidden = !other;
  $('reauth-switch').textContent = other === 'code' ? 'Use an authenticator or recovery code instead' : 'Use your password instead';
  $('reauth-switch').dataset.to = other || '';
  $('reauth-or').hidden = !other || $('reauth-passkey').hidden;
  clearErrors(reauthForm);
}

/** Ask for a proof among `methods` (of a 403 reauth_required) and send it; true once accepted. */
function askProof(methods, text) {
  reauthForm.reset();
  $('reauth-username').value = profile.username;
  $('reauth-text').textContent = text;
  const passkey = methods.includes('passkey') && annex.passkeys.supported();
  $('reauth-passkey').hidden = !passkey;
  const first = methods.includes('password') ? 'password' : methods.some((m) => m === 'totp' || m === 'recovery_code') ? 'code' : null;
  return new Promise((resolve) => {
    proving = { resolve, methods, with: first };
    if (first) proveWith(first);
    else {
      for (const id of ['reauth-password-field', 'reauth-code-field', 'reauth-switch']) $(id).hidden = true;
      $('reauth-or').hidden = true;
    }
    reauthForm.querySelector('[type=submit]').hidden = !first;
    if (!first && !passkey) {
      // No password and no factor (an account made by another site or a mailed link): only a
      // new sign-in makes it recent again.
      $('reauth-text').textContent = `${text} Log out, sign in again, then try once more.`;
    }
    reauthDialog.showModal();
    (first === 'password' ? $('reauth-password') : first === 'code' ? $('reauth-code') : passkey ? $('reauth-passkey') : $('reauth-cancel')).focus();
  });
}

function proved() {
  const { resolve } = proving;
  proving = null;
  reauthDialog.close();
  resolve(true);
}

$('reauth-switch').addEventListener('click', (event) => {
  proveWith(event.currentTarget.dataset.to);
  (proving.with === 'password' ? $('reauth-password') : $('reauth-code')).focus();
});

onSubmit(
  reauthForm,
  async ({ password, code }) => {
    const proof = proving.with === 'password' ? { password } : { code: code.replace(/\s+/g, '') };
    if (!Object.values(proof)[0]) {
      const [name, text] = proving.with === 'password' ? ['password', 'Enter your password.'] : ['code', 'Enter a code.'];
      fieldError(reauthForm, name, text).focus();
      return;
    }
    await annex.reauth(proof);
    proved();
  },
  {
    invalid_credentials: ['password', 'That is not your password.'],
    invalid_code: ['code', 'That code is not right.'],
  },
);

$('reauth-passkey').addEventListener('click', async () => {
  clearErrors(reauthForm);
  try {
    await annex.reauth({ passkey: true });
    proved();
  } catch (error) {
    const wrong = error instanceof AnnexError && (error.code === 'invalid_code' || error.code === 'invalid_credentials');
    formError(reauthForm, wrong ? 'That passkey is not one of your account’s.' : message(error));
    reauthForm.querySelector('.form-error').focus();
  }
});
$('reauth-cancel').addEventListener('click', () => reauthDialog.close());
reauthDialog.addEventListener('close', () => {
  proving?.resolve(false);
  proving = null;
});

/**
 * Run `action`; when it answers 403 reauth_required, ask for a proof (`text` says why), then
 * run it again. Resolves `{done: true, value}`, or `{done: false}` when the person cancelled.
 */
async function stepUp(action, text) {
  try {
    return { done: true, value: await action() };
  } catch (error) {
    if (!(error instanceof AnnexError) || error.code !== 'reauth_required') throw error;
    if (!(await askProof(error.methods, text))) return { done: false };
    return { done: true, value: await action() };
  }
}

/** A button's click runs `task`; failures go to the status region `where`. */
function onClick(button, where, task) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    status(where, '');
    try {
      await task();
    } catch (error) {
      if (!(error instanceof AnnexError)) console.error(error);
      status(where, message(error), true);
    } finally {
      button.disabled = false;
    }
  });
}

async function copyText(text, where, done) {
  try {
    await navigator.clipboard.writeText(text);
    status(where, done);
  } catch {
    status(where, 'Copying is not allowed here: select the text and copy it yourself.', true);
  }
}

// --- two-step verification (TOTP) ------------------------------------------------------------------

let totpState = null;
let recoveryCodes = [];

function showTotp() {
  const on = totpState.enabled;
  const enrolling = !$('totp-enrol').hidden;
  $('totp-badge').textContent = on ? 'on' : 'off';
  $('totp-badge').className = `badge ${on ? 'ok' : 'warn'}`;
  const left = totpState.recovery_codes_left;
  $('totp-summary').textContent = on ? `Sign-ins ask for a code. ${left} recovery code${left === 1 ? '' : 's'} left.` : '';
  $('totp-off').hidden = on || enrolling;
  $('totp-on').hidden = !on;
}

async function loadTotp() {
  try {
    totpState = await annex.totp.status();
  } catch (error) {
    if (error instanceof AnnexError && error.status === 404) return; // the site has no TOTP plugin
    throw error;
  }
  $('totp-section').hidden = false;
  showTotp();
}

/** Draw `text` as a QR code into the SVG `svg` (one square path per dark module, 4 modules quiet zone). */
function drawQr(svg, text) {
  const qr = qrcode(0, 'M');
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const margin = 4;
  let path = '';
  for (let row = 0; row < count; row += 1) {
    for (let column = 0; column < count; column += 1) {
      if (qr.isDark(row, column)) path += `M${column + margin} ${row + margin}h1v1h-1z`;
    }
  }
  const ns = 'http://www.w3.org/2000/svg';
  const size = count + 2 * margin;
  const background = document.createElementNS(ns, 'rect');
  Object.entries({ width: size, height: size, fill: '#fff' }).forEach(([k, v]) => background.setAttribute(k, v));
  const modules = document.createElementNS(ns, 'path');
  modules.setAttribute('d', path);
  modules.setAttribute('fill', '#000');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.replaceChildren(background, modules);
}

function showRecoveryCodes(codes) {
  recoveryCodes = codes;
  $('recovery-list').replaceChildren(...codes.map((code) => element('li', {}, element('code', { textContent: code }))));
  $('recovery-codes').hidden = false;
  $('recovery-codes').focus();
}

onClick($('totp-start'), $('totp-status'), async () => {
  const setup = await stepUp(() => annex.totp.setup(), 'To set up two-step verification, confirm it is you.');
  if (!setup.done) return;
  drawQr($('totp-qr'), setup.value.otpauth_uri);
  $('totp-secret').textContent = setup.value.secret.replace(/(.{4})(?=.)/g, '$1 ');
  $('totp-enrol').reset();
  clearErrors($('totp-enrol'));
  $('totp-enrol').hidden = false;
  showTotp();
  $('totp-code').focus();
});

$('copy-secret').addEventListener('click', () =>
  copyText($('totp-secret').textContent.replace(/\s+/g, ''), $('totp-status'), 'The key was copied.'),
);

$('totp-cancel').addEventListener('click', () => {
  $('totp-enrol').hidden = true;
  $('totp-qr').replaceChildren();
  $('totp-secret').textContent = '';
  showTotp();
});

onSubmit(
  $('totp-enrol'),
  async ({ code }) => {
    const digits = code.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(digits)) {
      fieldError($('totp-enrol'), 'code', 'Enter the 6 digits the app shows.').focus();
      return;
    }
    const codes = await annex.totp.confirm(digits);
    $('totp-enrol').hidden = true;
    $('totp-qr').replaceChildren();
    $('totp-secret').textContent = '';
    totpState = await annex.totp.status();
    showTotp();
    status($('totp-status'), 'Two-step verification is on. Your other sessions have ended.');
    showRecoveryCodes(codes);
    refreshLists();
  },
  { invalid_code: ['code', 'That code is not right. Enter the code the app shows now.'] },
);

$('copy-codes').addEventListener('click', () =>
  copyText(recoveryCodes.join('\n'), $('totp-status'), 'The recovery codes were copied.'),
);
$('codes-done').addEventListener('click', () => {
  recoveryCodes = [];
  $('recovery-list').replaceChildren();
  $('recovery-codes').hidden = true;
  status($('totp-status'), '');
  (totpState.enabled ? $('totp-regenerate') : $('totp-start')).focus();
});

onClick($('totp-regenerate'), $('totp-status'), async () => {
  const made = await stepUp(
    () => annex.totp.regenerateRecoveryCodes(),
    'New recovery codes replace the old ones. First confirm it is you.',
  );
  if (!made.done) return;
  totpState = await annex.totp.status();
  showTotp();
  status($('totp-status'), 'New recovery codes: the old ones no longer work.');
  showRecoveryCodes(made.value);
  refreshLists();
});

onClick($('totp-disable'), $('totp-status'), async () => {
  const off = await stepUp(() => annex.totp.disable(), 'To turn off two-step verification, confirm it is you.');
  if (!off.done) return;
  $('recovery-codes').hidden = true;
  totpState = await annex.totp.status();
  showTotp();
  status($('totp-status'), 'Two-step verification is off.');
  refreshLists();
});

// --- passkeys ----------------------------------------------------------------------------------------

async function loadPasskeys() {
  let list;
  try {
    list = await annex.passkeys.list();
  } catch (error) {
    if (error instanceof AnnexError && error.status === 404) return; // the site has no passkeys plugin
    throw error;
  }
  $('passkeys-section').hidden = false;
  if (!annex.passkeys.supported()) {
    $('passkey-add').disabled = true;
    status($('passkeys-status'), 'This browser cannot create passkeys.', true);
  }
  const rows = list.map(passkeyRow);
  $('passkeys-list').replaceChildren(...(rows.length ? rows : [element('li', { textContent: 'No passkeys yet.' })]));
}

function passkeyRow(passkey) {
  const title = element('p', {}, element('strong', { textContent: passkey.name }));
  if (passkey.backed_up) title.append(' ', element('span', { className: 'badge ok', textContent: 'synced' }));
  const used = passkey.last_used_at ? `last used ${when(passkey.last_used_at)}` : 'not used yet';
  const meta = element('p', { className: 'meta', textContent: `added ${when(passkey.created_at)} · ${used}` });
  const rename = element('button', { type: 'button', className: 'small secondary', textContent: 'Rename' });
  rename.setAttribute('aria-label', `Rename ${passkey.name}`);
  const remove = element('button', { type: 'button', className: 'small secondary', textContent: 'Remove' });
  remove.setAttribute('aria-label', `Remove ${passkey.name}`);
  const row = element('li', {}, element('div', { className: 'what' }, title, meta), element('span', { className: 'actions' }, rename, remove));
  rename.addEventListener('click', () => renameRow(row, passkey));
  remove.addEventListener('click', () => removePasskey(passkey, remove));
  return row;
}

function renameRow(row, passkey) {
  const input = element('input', { type: 'text', name: 'name', value: passkey.name, maxLength: 64, id: `passkey-${passkey.id}-name` });
  input.setAttribute('aria-label', `New name for ${passkey.name}`);
  const cancel = element('button', { type: 'button', className: 'small secondary', textContent: 'Cancel' });
  const form = element(
    'form',
    { className: 'inline-form', noValidate: true },
    element('p', { className: 'form-error', role: 'alert', tabIndex: -1 }),
    element('div', { className: 'field' }, input),
    element('p', { className: 'actions' }, element('button', { type: 'submit', className: 'small', textContent: 'Save name' }), cancel),
  );
  form.querySelector('.form-error').setAttribute('role', 'alert');
  cancel.addEventListener('click', () => loadPasskeys());
  onSubmit(form, async ({ name }) => {
    if (!name.trim()) {
      fieldError(form, 'name', 'Enter a name.').focus();
      return;
    }
    await annex.passkeys.rename(passkey, name.trim());
    status($('passkeys-status'), 'Passkey renamed.');
    await loadPasskeys();
  });
  row.replaceChildren(form);
  input.select();
  input.focus();
}

async function removePasskey(passkey, button) {
  button.disabled = true;
  status($('passkeys-status'), '');
  try {
    const removed = await stepUp(() => annex.passkeys.remove(passkey), `To remove the passkey “${passkey.name}”, confirm it is you.`);
    if (!removed.done) return;
    status($('passkeys-status'), `The passkey “${passkey.name}” was removed.`);
    await Promise.all([loadPasskeys(), refreshLists()]);
  } catch (error) {
    status($('passkeys-status'), message(error), true);
  } finally {
    button.disabled = false;
  }
}

onSubmit($('passkey-form'), async ({ name }) => {
  status($('passkeys-status'), '');
  const label = name.trim() || device(navigator.userAgent);
  const added = await stepUp(() => annex.passkeys.register({ name: label }), 'To add a passkey, confirm it is you.');
  if (!added.done) return;
  $('passkey-form').reset();
  status($('passkeys-status'), `Passkey “${added.value.name}” added. You can sign in with it now.`);
  await Promise.all([loadPasskeys(), refreshLists()]);
});

// --- accounts at other sites (OpenID Connect) ------------------------------------------------------

let providers = [];
const providerLabel = (name) => providers.find((provider) => provider.name === name)?.label || name;

async function loadIdentities() {
  providers = await annex.oidc.providers();
  if (!providers.length) return; // the site has no oidc plugin, or no provider configured
  $('oidc-section').hidden = false;
  const identities = await annex.oidc.identities();
  const rows = identities.map((identity) => {
    const label = providerLabel(identity.provider);
    const title = element('p', {}, element('strong', { textContent: label }));
    const meta = element('p', {
      className: 'meta',
      textContent: `${identity.email || 'no email address'} · linked ${when(identity.created_at)}`,
    });
    const unlink = element('button', { type: 'button', className: 'small secondary', textContent: 'Unlink' });
    unlink.setAttribute('aria-label', `Unlink ${label}${identity.email ? ` (${identity.email})` : ''}`);
    unlink.addEventListener('click', () => unlinkIdentity(identity, unlink));
    return element('li', {}, element('div', { className: 'what' }, title, meta), unlink);
  });
  $('identities-list').replaceChildren(...(rows.length ? rows : [element('li', { textContent: 'No linked accounts yet.' })]));
  const buttons = providers.map((provider) => {
    const button = element('button', { type: 'button', className: 'secondary', textContent: `Link ${provider.label}` });
    onClick(button, $('oidc-status'), async () => {
      // The provider sends this browser back here once linked (or to the login page with ?error=).
      // Linking adds a way in: an old sign-in confirms it is you first (step-up).
      const next = `/account.html?${new URLSearchParams({ linked: provider.name })}`;
      const linked = await stepUp(() => annex.oidc.link(provider.name, next), `To link your ${provider.label} account, confirm it is you.`);
      if (linked.done) location.assign(linked.value);
    });
    return button;
  });
  $('oidc-link-buttons').replaceChildren(...buttons);
}

async function unlinkIdentity(identity, button) {
  const label = providerLabel(identity.provider);
  button.disabled = true;
  status($('oidc-status'), '');
  try {
    const removed = await stepUp(() => annex.oidc.unlink(identity), `To unlink your ${label} account, confirm it is you.`);
    if (!removed.done) return;
    status($('oidc-status'), `Your ${label} account is unlinked: it no longer signs you in here.`);
    await Promise.all([loadIdentities(), refreshLists()]);
  } catch (error) {
    const last = error instanceof AnnexError && error.code === 'last_sign_in_method';
    status($('oidc-status'), last
      ? `Your ${label} account is the only way you can sign in. Set a password (with “Forgot your password?” on the login page) or add a passkey first.`
      : message(error), true);
  } finally {
    button.disabled = false;
  }
}

// --- your data -----------------------------------------------------------------------------------

$('export').addEventListener('click', async () => {
  try {
    const document_ = await annex.exportAccount();
    const blob = new Blob([JSON.stringify(document_, null, 2)], { type: 'application/json' });
    const link = element('a', { href: URL.createObjectURL(blob), download: `annex-${profile.username}.json` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
    status($('data-status'), 'Your data was downloaded.');
  } catch (error) {
    status($('data-status'), message(error), true);
  }
});

$('delete-account').addEventListener('click', () =>
  askPassword({
    title: 'Delete your account?',
    text: 'Your account, profile and data are deleted at once. This cannot be undone.',
    confirm: 'Delete my account',
    danger: true,
    action: (password) => annex.deleteAccount(password),
  }),
);

// --- start ---------------------------------------------------------------------------------------

try {
  profile = await annex.me();
} catch (error) {
  if (error.status === 401) {
    location.replace(`/login.html?${new URLSearchParams({ next: '/account.html' })}`);
  } else {
    status($('account-status'), message(error), true);
  }
}
if (profile) {
  showProfile();
  fillProfileForm();
  $('account-status').textContent = '';
  $('account').hidden = false;
  await Promise.all([
    refreshLists(),
    loadNote().catch((error) => status($('note-status'), message(error), true)),
    loadMethods().catch((error) => status($('password-status'), message(error), true)),
    loadTotp().catch((error) => status($('account-status'), message(error), true)),
    loadPasskeys().catch((error) => status($('account-status'), message(error), true)),
    loadIdentities().catch((error) => status($('oidc-status'), message(error), true)),
  ]);
  // Back from linking a provider account (`?linked=<name>`): say so, and tidy the address.
  const linked = new URLSearchParams(location.search).get('linked');
  if (linked && providers.length) {
    history.replaceState(history.state, '', location.pathname);
    status($('oidc-status'), `Your ${providerLabel(linked)} account is linked: you can sign in with it now.`);
  }
}
