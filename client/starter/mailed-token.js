// The first script of a page that a mailed link opens (reset-password.html, verify-email.html,
// login-link.html).
// A classic script, loaded right after <meta name="referrer" content="no-referrer">, so it runs
// before the page requests anything else: it takes the one-time token out of the address bar
// (history, screenshots, extensions and later requests would see it there) and hands it to the
// page's module as window.annexMailedToken. Not inline, so a CSP with script-src 'self' allows it.
(function () {
  var params = new URLSearchParams(location.search);
  var token = params.get('token');
  if (token === null) return;
  params.delete('token');
  var query = params.toString();
  window.annexMailedToken = token;
  history.replaceState(history.state, '', location.pathname + (query ? '?' + query : '') + location.hash);
})();
