import { AnnexError, register, registration, safeNext } from '/annex.js';
import { fieldError, onSubmit, takeToken } from '/ui.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'), '/account.html');
const form = $('register-form');
// An invitation's link: /register.html?token=… (taken out of the address bar at once).
const invite = takeToken();
let mode = invite ? 'invite' : 'open';

if (params.has('next')) {
  for (const id of ['login-link', 'closed-login-link']) $(id).search = new URLSearchParams({ next }).toString();
}

/** Show the form for `open` and `invite` (with the invitation field), the note for `closed`. */
function show(current) {
  mode = current;
  $('registration-closed').hidden = mode !== 'closed';
  form.hidden = mode === 'closed';
  $('invite-note').hidden = mode !== 'invite';
  $('invite-field').hidden = mode !== 'invite';
}

if (invite) form.elements.invite.value = invite;
show(mode);

onSubmit(form, async ({ username, email, password, invite: code }) => {
  const account = { username: username.trim(), email: email.trim(), password };
  if (mode === 'invite') {
    if (!code.trim()) {
      fieldError(form, 'invite', 'Enter the code from your invitation.').focus();
      return;
    }
    account.invite = code.trim();
  }
  try {
    await register(account);
  } catch (error) {
    if (!(error instanceof AnnexError) || error.code !== 'registration_closed') throw error;
    if (mode !== 'invite') {
      show('closed');
      return;
    }
    const text = 'This invitation does not work: it may have expired or been used, or be for another email address.';
    fieldError(form, 'invite', text).focus();
    return;
  }
  location.assign(next);
});

try {
  show(await registration());
  if (mode === 'invite' && invite) form.elements.username.focus();
} catch {
  // An older server without the route: registration is open, as it was.
}
