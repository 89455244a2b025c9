import * as annex from '/annex.js';
import { AnnexError } from '/annex.js';
import { clearErrors, fieldError, message, onSubmit, status, when } from '/ui.js';

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
};
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

// --- sessions ------------------------------------------------------------------------------------

async function loadSessions() {
  const list = $('sessions-list');
  const rows = (await annex.sessions()).map((session) => {
    const title = element('p', {}, element('strong', { textContent: device(session.user_agent) }));
    if (session.current) title.append(' ', element('span', { className: 'badge ok', textContent: 'this device' }));
    const meta = element('p', {
      className: 'meta',
      textContent: `${session.ip || 'unknown address'} · logged in ${when(session.created_at)} · last active ${when(session.last_used_at)}`,
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
        element('p', {}, element('strong', { textContent: EVENTS[event.type] || event.type })),
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
  return Promise.all([loadSessions(), loadActivity()]).catch((error) =>
    status($('sessions-status'), message(error), true),
  );
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
  await Promise.all([refreshLists(), loadNote().catch((error) => status($('note-status'), message(error), true))]);
}
