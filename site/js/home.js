import { logout, me } from '/annex.js';
import { message, status } from '/ui.js';

const $ = (id) => document.getElementById(id);

if (new URLSearchParams(location.search).get('account') === 'deleted') {
  status($('home-status'), 'Your account and all its data have been deleted.');
}

try {
  const user = await me();
  $('who').textContent = user.display_name ? `${user.display_name} (${user.username})` : user.username;
  $('signed-in').hidden = false;
  $('signed-out').hidden = true;
} catch (error) {
  if (error.status !== 401) status($('home-status'), message(error), true);
}

$('logout').addEventListener('click', async () => {
  try {
    await logout();
    location.reload();
  } catch (error) {
    status($('home-status'), message(error), true);
  }
});
