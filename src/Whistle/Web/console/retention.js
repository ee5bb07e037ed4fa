// Admin: how long personal data and delivery records are kept. An empty field is the configured default.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var form = document.getElementById("retention");
  var done = document.getElementById("r-done");
  var FIELDS = ["reporterContactHours", "unsubscribedAddressHours", "deliveryRecordDays", "coarsenReportDays", "deleteReportDays"];

  function show(view) {
    FIELDS.forEach(function (f) {
      var p = view[f];
      var input = form.elements[f];
      input.value = p.isDefault ? "" : String(p.value);
      input.placeholder = String(p.default);
      input.min = String(p.min);
      input.max = String(p.max);
      form.querySelector('[data-hint-for="' + f + '"]').textContent =
        C.t("c.retention.default") + ": " + p.default + (p.isDefault ? " (" + C.t("c.retention.inUse") + ")" : "") +
        " · " + C.t("c.retention.range") + ": " + p.min + "–" + p.max;
    });
    var unconfirmed = document.getElementById("r-unconfirmed");
    if (unconfirmed) unconfirmed.textContent = C.t("c.retention.unconfirmed").replace("{hours}", String(view.unconfirmedSignupHours));
  }

  // Whether the network-wide hourly caps on codes were hit (someone pumping SMS or bombing addresses through the forms).
  async function loadCodeLimits() {
    var list = document.getElementById("code-limits");
    var res = await C.api("GET", "/api/v1/admin/code-limits");
    if (!res.ok || !list) return;
    list.replaceChildren();
    res.data.forEach(function (c) {
      var li = document.createElement("li");
      var text = C.t("c.codeLimits.line").replace("{channel}", c.channel).replace("{sent}", c.sentThisHour).replace("{cap}", c.perHour);
      if (c.refusedLast24Hours > 0) {
        text += " · " + C.t("c.codeLimits.refused").replace("{refused}", c.refusedLast24Hours);
        li.className = "warning";
        li.setAttribute("data-capped", "true");
      }
      li.textContent = text;
      list.appendChild(li);
    });
  }

  async function load() {
    loadCodeLimits();
    var res = await C.api("GET", "/api/v1/retention");
    if (!res.ok) { C.showProblem(form, res.problem); return; }
    show(res.data);
  }

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    done.textContent = "";
    var req = {};
    FIELDS.forEach(function (f) {
      var v = form.elements[f].value.trim();
      req[f] = v === "" ? null : Number(v);
    });
    var res = await C.api("PUT", "/api/v1/retention", req);
    if (!res.ok) { C.showProblem(form, res.problem); return; }
    C.clearProblem(form);
    show(res.data);
    done.textContent = C.t("c.done");
  });

  load();
})();
