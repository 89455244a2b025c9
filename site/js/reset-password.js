import { confirmPasswordReset } from '/annex.js';
import { fieldError, onSubmit } from '/ui.js';

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get('token');
// Keep the token out of the address bar and of anything that reads it later.
history.replaceState(null, '', location.pathname);

if (!token) {
  $('reset-form').hidden = true;
  $('no-token').hidden = false;
}

onSubmit($('reset-form'), async ({ new_password: password, confirm_password: again }) => {
  if (password !== again) {
    fieldError($('reset-form'), 'confirm_password', 'The two passwords differ.');
    return;
  }
  await confirmPasswordReset(token, password);
  $('reset-form').hidden = true;
  $('reset-done').hidden = false;
});
