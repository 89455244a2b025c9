import { register, safeNext } from '/annex.js';
import { onSubmit } from '/ui.js';

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'), '/account.html');
if (params.has('next')) document.getElementById('login-link').search = new URLSearchParams({ next }).toString();

onSubmit(document.getElementById('register-form'), async ({ username, email, password }) => {
  await register({ username: username.trim(), email: email.trim(), password });
  location.assign(next);
});
