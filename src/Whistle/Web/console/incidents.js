// Incident files (dispatchers read; documenters and admins write): the list, filtered by status and category,
// and a form that opens a new file, then goes to it.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var body = document.getElementById("incidents");
  var errorBox = document.getElementById("incidents-error");
  var filter = document.getElementById("filter");
  var form = document.getElementById("create");

  function when(iso, precision) { return WhistleConsole.when(iso, precision || "minute"); }

  function row(i) {
    var link = C.el("a", { href: "/console/incidents/" + i.id, text: i.title, translate: "no" });
    var status = C.t("incident.status." + i.status) + (i.statusNote ? " — " + i.statusNote : "") + (i.published ? " · " + C.t("c.inc.isPublished") : "");
    return C.el("tr", { "data-id": i.id }, [
      C.el("th", { scope: "row" }, [link]),
      C.el("td", { text: when(i.occurredAt) }),
      C.el("td", { text: C.t("incident.category." + i.category) }),
      C.el("td", { text: status }),
      C.el("td", { text: C.t("c.inc.peopleAffected") + ": " + i.peopleAffected + " · " + C.t("c.inc.injured") + ": " + i.injured
        + " · " + C.t("c.inc.deaths") + ": " + i.deaths }),
    ]);
  }

  async function load() {
    var q = new URLSearchParams();
    if (filter.elements.namedItem("status").value) q.set("status", filter.elements.namedItem("status").value);
    if (filter.elements.namedItem("category").value) q.set("category", filter.elements.namedItem("category").value);
    var res = await C.api("GET", "/api/v1/incidents" + (q.toString() ? "?" + q : ""));
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    errorBox.textContent = "";
    body.textContent = "";
    if (!res.data.length) body.appendChild(C.el("tr", {}, [C.el("td", { colspan: "5", text: C.t("c.inc.none") })]));
    res.data.forEach(function (i) { body.appendChild(row(i)); });
  }

  function f(name) { return form.elements.namedItem(name); }
  function count(input) { return input.value === "" ? null : Number(input.value); }

  filter.addEventListener("submit", function (e) { e.preventDefault(); load(); });

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    C.clearProblem(form);
    // Entered on the network's wall clock, whatever the browser's zone (issue 12 §4).
    var occurred = f("occurredAt").value ? WhistleConsole.fromZone(f("occurredAt").value) : null;
    var req = {
      title: f("title").value.trim(),
      occurredAt: occurred,
      place: f("place").value.trim() || null,
      category: f("category").value,
      agencies: Array.prototype.map.call(form.querySelectorAll("input[name=agencies]:checked"), function (c) { return c.value; }),
      peopleAffected: count(f("peopleAffected")), injured: count(f("injured")), deaths: count(f("deaths")),
      status: f("status").value,
      statusNote: f("statusNote").value.trim() || null,
      published: f("published").checked,
    };
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var res = await C.api("POST", "/api/v1/incidents", req);
    button.disabled = false;
    if (!res.ok) {
      C.showProblem(form, res.problem);
      var bad = form.querySelector("[aria-invalid=true]");
      if (bad) bad.focus();
      return;
    }
    location.href = "/console/incidents/" + res.data.id;
  });

  load();
})();
