import { confirmPasswordReset } from '/annex.js';
import { fieldError, onSubmit, takeToken } from '/ui.js';

const $ = (id) => document.getElementById(id);
// /mailed-token.js took the token out of the address bar before anything loaded.
const token = takeToken();

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
