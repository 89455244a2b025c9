// The header's links follow the session: Account for a member, Log in and Register for a
// visitor. Without JavaScript every link shows; the hint needs no request (see hasSession).
import { hasSession } from '/annex.js';

function show(signedIn) {
  for (const item of document.querySelectorAll('nav [data-session]')) {
    item.hidden = (item.dataset.session === 'in') !== signedIn;
  }
}

show(hasSession());
window.addEventListener('annex:login', () => show(true));
window.addEventListener('annex:logout', () => show(false));
