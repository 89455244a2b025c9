import { confirmEmail } from '/annex.js';
import { message, status, takeToken } from '/ui.js';

const node = document.getElementById('verify-status');
// /mailed-token.js took the token out of the address bar before anything loaded.
const token = takeToken();

if (!token) {
  status(node, 'This page needs the link from the confirmation email.', true);
} else {
  try {
    await confirmEmail(token);
    status(node, 'Thank you: your email address is confirmed.');
  } catch (error) {
    status(
      node,
      error.code === 'invalid_token'
        ? 'This link has expired or was already used. Ask for a new one on your account page.'
        : message(error),
      true,
    );
  }
}
