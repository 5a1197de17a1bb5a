// Report filters: dates and the period picker stay consistent. Typing a date selects
// "custom"; picking a named period clears the dates (the server lets dates win).
(function () {
  var form = document.getElementById("report-filters");
  if (!form) return;
  var period = form.elements["period"], from = form.elements["date_from"], to = form.elements["date_to"];
  if (!period || !from || !to) return;
  function dated() { period.value = "custom"; }
  from.addEventListener("change", dated);
  to.addEventListener("change", dated);
  period.addEventListener("change", function () {
    if (period.value !== "custom") { from.value = ""; to.value = ""; }
  });
})();
