/* QR form, nicer with JavaScript: answered-count and a gentle scroll to the next question. */
(function () {
  "use strict";
  var form = document.querySelector(".qr-form");
  if (!form) return;
  var groups = Array.prototype.slice.call(form.querySelectorAll("fieldset.q"));
  var progress = document.getElementById("qr-progress");
  function update() {
    var done = groups.filter(function (g) { return g.querySelector("input:checked"); }).length;
    progress.hidden = false;
    progress.textContent = done + " / " + groups.length;
  }
  form.addEventListener("change", function (event) {
    update();
    var current = event.target.closest("fieldset.q");
    var index = groups.indexOf(current);
    var next = groups[index + 1];
    if (next && !next.querySelector("input:checked") && next.scrollIntoView) {
      setTimeout(function () { next.scrollIntoView({behavior: "smooth", block: "start"}); }, 150);
    }
  });
  form.addEventListener("submit", function () {
    var button = form.querySelector("[type=submit]");
    setTimeout(function () { button.disabled = true; }, 0);
  });
  update();
})();
