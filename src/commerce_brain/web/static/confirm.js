// Money steps ask before they act: a form (or button) with data-confirm="…" shows that question
// first and is sent only when the person agrees. A static file, not onclick="" attributes, so it
// runs under a Content-Security-Policy without inline script.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
})();
