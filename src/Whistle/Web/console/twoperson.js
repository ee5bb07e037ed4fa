// Admin: the two-person rule — alerts to more than "above" recipients wait for a second dispatcher's approval.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  var form = document.getElementById("two-person");
  if (!form || !C.requireLogin()) return;
  var enabled = document.getElementById("tp-enabled"), above = document.getElementById("tp-above"), done = document.getElementById("tp-done");
  C.api("GET", "/api/v1/admin/two-person").then(function (res) {
    if (!res.ok) { C.showProblem(form, res.problem); return; }
    enabled.checked = !!res.data.enabled;
    above.value = res.data.above == null ? "" : String(res.data.above);
  });
  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    done.textContent = "";
    var n = above.value.trim();
    var res = await C.api("PUT", "/api/v1/admin/two-person", { enabled: enabled.checked, above: n === "" ? null : Number(n) });
    if (!res.ok) { C.showProblem(form, res.problem); return; }
    C.clearProblem(form);
    done.textContent = C.t("c.twoperson.saved");
  });
})();
