// The first script of a page that a mailed link opens (reset-password.html, verify-email.html,
// register.html for an invitation, email-link.html, confirm-email.html, login-link.html):
// a classic script, loaded synchronously right after <meta name="referrer" content="no-referrer">,
// so it runs before the page requests anything else. It takes the one-time token out of the
// address bar (history.replaceState), where history, screenshots, extensions and the Referer of
// later requests would see it, and hands it to the page's module as window.annexMailedToken.
// Not a module, and not inline: a Content-Security-Policy with script-src 'self' allows it.
(function () {
  var params = new URLSearchParams(location.search);
  var token = params.get('token');
  if (token === null) return;
  params.delete('token');
  var query = params.toString();
  window.annexMailedToken = token;
  history.replaceState(history.state, '', location.pathname + (query ? '?' + query : '') + location.hash);
})();
