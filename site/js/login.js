import { login, me, safeNext } from '/annex.js';
import { onSubmit } from '/ui.js';

const params = new URLSearchParams(location.search);
const next = safeNext(params.get('next'), '/account.html');
const form = document.getElementById('login-form');

if (params.has('next')) {
  const register = document.getElementById('register-link');
  register.search = new URLSearchParams({ next }).toString();
}

onSubmit(form, async ({ username, password }) => {
  await login(username.trim(), password);
  location.assign(next);
});

// Already logged in (perhaps only the access token had expired)? Then go on, or say so.
try {
  const user = await me();
  if (params.has('next')) {
    location.replace(next);
  } else {
    const note = document.getElementById('already');
    note.textContent = `You are logged in as ${user.username}. `;
    const link = Object.assign(document.createElement('a'), { href: '/account.html', textContent: 'Go to your account' });
    note.append(link);
    note.hidden = false;
  }
} catch {
  // not logged in: the form is what this page is for
}
