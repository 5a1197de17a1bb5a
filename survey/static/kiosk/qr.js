/* QR form, nicer with JavaScript: an answered count and a gentle scroll to the next criterion.
   Everything works without it. */
(function () {
  "use strict";
  var form = document.querySelector(".qr-form");
  if (!form) return;
  var rows = Array.prototype.slice.call(form.querySelectorAll("fieldset.crit"));
  var progress = document.getElementById("qr-progress");

  function update() {
    var done = rows.filter(function (g) { return g.querySelector("input:checked"); }).length;
    progress.hidden = false;
    progress.textContent = done + " / " + rows.length;
  }

  /* After an answer, bring the next unanswered row into view if it is below the screen. */
  function revealNext(current) {
    var next = rows[rows.indexOf(current) + 1];
    if (!next || next.querySelector("input:checked") || !next.scrollIntoView) return;
    if (next.getBoundingClientRect().bottom <= window.innerHeight) return;
    setTimeout(function () { next.scrollIntoView({behavior: "smooth", block: "nearest"}); }, 150);
  }

  form.addEventListener("change", function (event) {
    update();
    var current = event.target.closest("fieldset.crit");
    if (current) revealNext(current);
  });
  form.addEventListener("submit", function () {
    var button = form.querySelector("[type=submit]");
    setTimeout(function () { button.disabled = true; }, 0);
  });
  update();
})();
