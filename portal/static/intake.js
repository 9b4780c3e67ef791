/* The intake's small enhancements (everything works without them):
   focus the error summary after a form came back with errors, and a Print button. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
    var buttons = document.querySelectorAll("[data-print]");
    Array.prototype.forEach.call(buttons, function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    if (buttons.length) {
      Array.prototype.forEach.call(document.querySelectorAll(".intake-print-hint"),
        function (hint) { hint.hidden = true; });
    }
  });
})();
