import { requestPasswordReset } from '/annex.js';
import { onSubmit, status } from '/ui.js';

const form = document.getElementById('reset-request-form');
onSubmit(form, async ({ email }) => {
  await requestPasswordReset(email.trim());
  status(
    document.getElementById('reset-request-status'),
    `If ${email.trim()} belongs to an account, a link is on its way. It works once, for 30 minutes.`,
  );
});
