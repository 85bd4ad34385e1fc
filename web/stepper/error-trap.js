// Installed before anything else runs, so that even a syntax error in app.js is caught and
// written into the page (the tests read it with chromium --dump-dom).
window.gfErrors = [];
window.addEventListener('error', function (e) {
  var message = String(e.message || e);
  window.gfErrors.push(message);
  var list = document.getElementById('errors');
  if (list) {
    var li = document.createElement('li');
    li.textContent = message;
    list.appendChild(li);
  }
  document.documentElement.setAttribute('data-errors', String(window.gfErrors.length));
});
