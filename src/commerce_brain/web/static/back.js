// A link marked data-back returns to the previous page (the form the person came from). A
// static file, not a javascript: URL, which the Content-Security-Policy blocks; without this
// file the link still works, to its href.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
})();
