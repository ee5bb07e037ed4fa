// One sighting: its reports and history, dispatch, outcome, resolve. The alert composer is composer.js.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var root = document.getElementById("sighting");
  var id = root.dataset.id;
  var sighting = null;
  var errorBox = document.getElementById("sighting-error");
  // A verifier records outcomes here; dispatching, resolving and alerting are the dispatcher's (the API enforces it).
  if (!C.canDispatch()) ["dispatch", "resolve", "composer"].forEach(function (x) { document.getElementById(x).hidden = true; });

  // ---- the sighting ----
  async function load() {
    var res = await C.api("GET", "/api/v1/sightings/" + id);
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    errorBox.textContent = "";
    var s = res.data.sighting;
    var first = sighting === null;
    sighting = s;
    document.getElementById("s-title").textContent = C.activity(s.activity) + (s.placeText ? " — " + s.placeText : "");
    var state = document.getElementById("s-state");
    state.textContent = C.state(s.state);
    state.className = "state state-" + s.state;
    root.dataset.state = s.state;
    document.getElementById("s-summary").textContent =
      C.t("c.intake.sources").replace("{reports}", s.reportCount).replace("{sources}", s.sourceCount)
      + (s.trusted ? " · " + C.t("c.intake.trusted") : "") + " · " + C.time(s.firstReportAt) + "–" + C.time(s.lastReportAt);

    var reports = document.getElementById("reports");
    reports.textContent = "";
    res.data.reports.forEach(function (r) {
      var facts = [C.activity(r.activity), r.placeText, r.agents != null ? C.t("report.agents") + ": " + r.agents : null,
        r.vehicles != null ? C.t("report.vehicles") + ": " + r.vehicles : null, r.agency && r.agency !== "unknown" ? C.t("agency." + r.agency) : null,
        r.equipment, r.channel].filter(Boolean).join(" · ");
      reports.appendChild(C.el("li", { className: "card" }, [
        C.el("span", { className: "meta", text: C.time(r.observedAt) }),
        C.el("p", { text: facts }),
        r.text ? C.el("p", { text: r.text, translate: "no" }) : null,
        r.contact ? C.el("p", { text: "☎ " + r.contact }) : null,
      ]));
    });
    var history = document.getElementById("history");
    history.textContent = "";
    res.data.history.forEach(function (h) {
      history.appendChild(C.el("li", {}, [
        C.el("time", { datetime: h.at, text: C.time(h.at) }), " ",
        C.state(h.from) + " → " + C.state(h.to) + " · ", C.el("span", { translate: "no", text: h.actor }),
        h.note ? " · " : "", h.note ? C.note(h.note) : "",
      ]));
    });
    if (C.canDispatch()) roster(res.data.assignments);
    if (first && C.canDispatch()) window.WhistleComposer.start(id, function () { return sighting; }, load);
    if (C.canDispatch()) window.WhistleComposer.sync(res.data);
  }

  // ---- the roster: every verifier, on duty and nearest first, with this sighting's assignment ----
  async function roster(assignments) {
    var res = await C.api("GET", "/api/v1/roster?sighting=" + id);
    var body = document.getElementById("roster");
    if (!res.ok) return;
    var ticked = {};
    body.querySelectorAll("input[name=verifier]:checked").forEach(function (x) { ticked[x.value] = true; });
    body.textContent = "";
    if (!res.data.length) body.appendChild(C.el("tr", {}, [C.el("td", { colspan: "7", text: C.t("c.roster.none") })]));
    res.data.forEach(function (v) {
      var box = C.el("input", { type: "checkbox", name: "verifier", value: v.id, "aria-label": C.t("c.roster.pick") + " " + v.email });
      if (ticked[v.id]) box.checked = true;
      if (v.assignment) box.disabled = true;
      body.appendChild(C.el("tr", { "data-verifier": v.email, "data-assignment": v.assignment || "" }, [
        C.el("td", {}, [box]),
        C.el("td", { text: v.email }),
        C.el("td", { text: v.onDuty ? C.t("c.yes") : C.t("c.no") }),
        C.el("td", { text: v.homeZone || "—" }),
        C.el("td", { text: v.distanceMeters != null ? (v.distanceMeters / 1000).toFixed(1) + " km" : "—" }),
        C.el("td", { text: v.reachable ? C.t("c.roster.message") : C.t("c.roster.console") }),
        C.el("td", { text: v.assignment ? C.t("c.assign." + v.assignment) : "—" }),
      ]));
    });
  }

  document.getElementById("dispatch").addEventListener("submit", async function (e) {
    e.preventDefault();
    var f = e.target;
    C.clearProblem(f);
    var done = f.querySelector(".done");
    done.textContent = "";
    var ids = Array.prototype.map.call(f.querySelectorAll("input[name=verifier]:checked"), function (x) { return x.value; });
    var body = { note: f.note.value.trim() || null };
    if (ids.length) body.verifierIds = ids; else body.count = f.count.value === "" ? null : Number(f.count.value);
    var res = await C.api("POST", "/api/v1/sightings/" + id + "/dispatch", body);
    if (!res.ok) { C.showProblem(f, res.problem); return; }
    done.textContent = res.data.sent.length
      ? C.t("c.dispatch.sent") + ": " + res.data.sent.map(function (v) {
          return v.email + (v.distanceMeters != null ? " (" + (v.distanceMeters / 1000).toFixed(1) + " km)" : "")
            + " · " + (v.messaged ? C.t("c.roster.message") : C.t("c.roster.console"));
        }).join("; ")
      : C.t("c.dispatch.nobody");
    f.note.value = "";
    await load();
    window.WhistleComposer.refresh();
  });

  function move(formId, url, body) {
    var form = document.getElementById(formId);
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      C.clearProblem(form);
      form.querySelector(".done").textContent = "";
      var res = await C.api("POST", url, body(form));
      if (!res.ok) { C.showProblem(form, res.problem); return; }
      form.querySelector(".done").textContent = C.t("c.done");
      form.reset();
      await load();
      window.WhistleComposer.refresh();
    });
  }
  move("outcome", "/api/v1/sightings/" + id + "/verification", function (f) {
    var picked = f.querySelector("input[name=outcome]:checked");
    return { outcome: picked ? picked.value : null, note: f.note.value.trim() || null };
  });
  move("resolve", "/api/v1/sightings/" + id + "/resolve", function (f) { return { note: f.note.value.trim() || null }; });

  var sightingsHub = C.hub("/hubs/sightings");
  sightingsHub.on("sighting", function (s) { if (s.id === id) load(); });
  sightingsHub.start().catch(function () { });
  load();
})();
