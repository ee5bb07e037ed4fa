// The verifier's phone view: going on and off duty (with the home zone dispatch measures from), and the
// sightings dispatch sent this verifier to — accept or decline, then confirm, false alarm or nothing found,
// with a note. The list follows the server live: every change on /hubs/sightings reloads it.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var list = document.getElementById("assignments");
  var errorBox = document.getElementById("verify-error");
  var dutyForm = document.getElementById("duty");
  var dutyStatus = document.getElementById("duty-status");
  var dutyReach = document.getElementById("duty-reach");
  var toggle = document.getElementById("duty-toggle");
  var zoneSelect = document.getElementById("home-zone");
  var cards = {};
  var onDuty = false;
  var zonesGeo = null;

  // ---- duty ----
  function showDuty(d) {
    onDuty = d.onDuty;
    dutyStatus.textContent = d.onDuty ? C.t("c.duty.on") + (d.onDutySince ? " (" + C.time(d.onDutySince) + ")" : "") : C.t("c.duty.off");
    toggle.textContent = d.onDuty ? C.t("c.duty.go_off") : C.t("c.duty.go_on");
    toggle.className = d.onDuty ? "big secondary" : "big";
    dutyReach.hidden = d.reachable;
    zoneSelect.value = d.homeZoneId == null ? "" : String(d.homeZoneId);
  }

  async function loadDuty() {
    var zones = await fetch("/api/v1/zones").then(function (r) { return r.json(); }).catch(function () { return { features: [] }; });
    zonesGeo = zones;
    zones.features.map(function (f) { return f.properties; })
      .sort(function (a, b) { return a.name.localeCompare(b.name); })
      .forEach(function (z) { zoneSelect.appendChild(C.el("option", { value: String(z.id), text: z.name })); });
    var res = await C.api("GET", "/api/v1/roster/me");
    if (res.ok) showDuty(res.data);
    else C.showProblem(dutyForm, res.problem);
  }

  // The zone is saved when chosen; the button turns duty on or off. Saves go one after the other, so the answer
  // shown is always the last one's: a zone picked and "go on duty" tapped at once must not end showing "off duty".
  var saving = Promise.resolve();
  function saveDuty(body) {
    var next = saving.then(function () { return C.api("PUT", "/api/v1/roster/me", typeof body === "function" ? body() : body); });
    saving = next.catch(function () { });
    return next;
  }
  zoneSelect.addEventListener("change", async function () {
    if (!zoneSelect.value) return;
    var res = await saveDuty({ homeZoneId: Number(zoneSelect.value) });
    if (res.ok) { showDuty(res.data); C.clearProblem(dutyForm); } else C.showProblem(dutyForm, res.problem);
  });
  dutyForm.addEventListener("submit", async function (e) {
    e.preventDefault();
    toggle.disabled = true;
    var want = !onDuty;
    var res = await saveDuty(function () {
      var body = { onDuty: want };
      if (zoneSelect.value) body.homeZoneId = Number(zoneSelect.value);
      return body;
    });
    toggle.disabled = false;
    if (res.ok) { showDuty(res.data); C.clearProblem(dutyForm); } else C.showProblem(dutyForm, res.problem);
  });

  // ---- assignments ----
  function showNone() {
    var any = list.querySelector("li.card");
    var none = list.querySelector("li.none");
    if (!any && !none) list.appendChild(C.el("li", { className: "none", text: C.t("c.verify.none") }));
    else if (!any) none.textContent = C.t("c.verify.none"); // was "Loading…"
    if (any && none) none.remove();
  }

  function outcomeForm(s, li, headingId) {
    var noteId = "note-" + s.id;
    var form = C.el("form", { className: "stack", novalidate: "" }, [
      C.el("p", { className: "form-error", role: "alert", "data-error-general": "" }),
      C.el("div", { className: "field" }, [
        C.el("label", { for: noteId, text: C.t("c.note") }),
        C.el("textarea", { id: noteId, name: "note", rows: "2", maxlength: "1000", "aria-describedby": noteId + "-error" }),
        C.el("p", { className: "field-error", id: noteId + "-error", "data-error-for": "note" }),
      ]),
      C.el("p", { className: "field-error", "data-error-for": "outcome" }),
      C.el("div", { className: "outcomes" }, [
        C.el("button", { type: "submit", name: "outcome", value: "confirmed", className: "confirm", text: C.t("c.verify.confirm") }),
        C.el("button", { type: "submit", name: "outcome", value: "false_alarm", className: "danger", text: C.t("c.verify.deny") }),
        C.el("button", { type: "submit", name: "outcome", value: "not_found", className: "secondary", text: C.t("c.verify.notfound") }),
      ]),
    ]);
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      var outcome = e.submitter && e.submitter.value;
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      li.dataset.done = "sending"; // its own change comes back over the hub: keep the card for the answer
      var res = await C.api("POST", "/api/v1/sightings/" + s.id + "/verification", { outcome: outcome, note: form.note.value.trim() || null });
      if (res.ok) {
        li.dataset.done = "true";
        li.textContent = "";
        li.appendChild(C.el("h2", { id: headingId, text: C.activity(s.activity) }));
        li.appendChild(C.el("p", { className: "done", role: "status", text: C.t("c.verify.done") }));
        return;
      }
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      delete li.dataset.done;
      C.showProblem(form, res.problem);
    });
    return form;
  }

  function answerButtons(s, li, refresh) {
    var box = C.el("div", { className: "outcomes" }, [
      C.el("p", { className: "form-error", role: "alert", "data-error-general": "" }),
      C.el("button", { type: "button", className: "confirm", "data-answer": "accept", text: C.t("c.verify.accept") }),
      C.el("button", { type: "button", className: "secondary", "data-answer": "decline", text: C.t("c.verify.decline") }),
    ]);
    box.addEventListener("click", async function (e) {
      var answer = e.target.getAttribute && e.target.getAttribute("data-answer");
      if (!answer) return;
      box.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      var res = await C.api("POST", "/api/v1/sightings/" + s.id + "/" + answer);
      if (res.ok) refresh(res.data);
      else {
        box.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        C.showProblem(box, res.problem);
      }
    });
    return box;
  }

  // Everything needed to go and look: counts, agency, agents and vehicles, the place as reported, the dispatcher's
  // note and how long ago it was first seen (the reports and history come from the sighting itself).
  async function facts(s, dl) {
    var res = await C.api("GET", "/api/v1/sightings/" + s.id);
    if (!res.ok) return;
    var reports = res.data.reports;
    function most(f) { return reports.reduce(function (m, r) { return r[f] != null && r[f] > m ? r[f] : m; }, -1); }
    var agencies = reports.map(function (r) { return r.agency; }).filter(function (a, i, all) { return a && a !== "unknown" && all.indexOf(a) === i; });
    var agents = most("agents"), vehicles = most("vehicles");
    var note = res.data.history.filter(function (h) { return h.to === "verifying" && h.actor !== "system" && h.note; }).pop();
    var minutes = Math.max(0, Math.round((Date.now() - new Date(s.firstReportAt)) / 60000));
    var rows = [
      ["c.reports.title", C.plural("c.n.reports", s.reportCount) + " · " + C.plural("c.n.sources", s.sourceCount)],
      ["c.verify.agency", agencies.length ? agencies.map(function (a) { return C.t("agency." + a); }).join(", ") : null],
      ["c.verify.size", [agents >= 0 ? C.plural("c.n.agents", agents) : null, vehicles >= 0 ? C.plural("c.n.vehicles", vehicles) : null].filter(Boolean).join(" · ") || null],
      ["c.verify.note", note ? note.note : null],
      ["c.verify.first", C.time(s.firstReportAt) + " · " + C.plural("c.n.minutes", minutes)],
    ];
    dl.textContent = "";
    rows.forEach(function (r) {
      if (!r[1]) return;
      dl.appendChild(C.el("dt", { text: C.t(r[0]) }));
      dl.appendChild(C.el("dd", { text: r[1] }));
    });
  }

  function card(item) {
    var s = item.sighting;
    var headingId = "h-" + s.id;
    var li = C.el("li", { className: "card", "data-id": s.id, "aria-labelledby": headingId });
    function render(assignment) {
      li.textContent = "";
      li._state = assignment ? assignment.state : "none";
      li.dataset.assignment = li._state;
      var where = s.lat != null
        ? C.el("a", { href: "geo:" + s.lat.toFixed(5) + "," + s.lon.toFixed(5) + "?q=" + s.lat.toFixed(5) + "," + s.lon.toFixed(5), text: C.t("c.verify.map") }) : null;
      var sent = assignment
        ? C.el("p", { className: "meta", text: C.t("c.verify.sent") + " " + C.time(assignment.sentAt)
            + (assignment.distanceMeters != null ? " · " + (assignment.distanceMeters / 1000).toFixed(1) + " " + C.t("c.verify.km") : "") })
        : null;
      var zone = C.zoneAt(zonesGeo, s.lat, s.lon);
      var dl = C.el("dl", { className: "card-facts" });
      [C.el("h2", { id: headingId, text: (zone || C.t("c.place.none")) + " · " + C.activity(s.activity) + " · " + C.plural("c.n.reports", s.reportCount) }),
        C.el("p", { text: C.t("c.verify.where") + ": " + [s.placeText, s.lat != null ? s.lat.toFixed(5) + ", " + s.lon.toFixed(5) : null].filter(Boolean).join(" · ") }),
        dl, sent, where].forEach(function (x) { if (x) li.appendChild(x); });
      facts(s, dl);
      if (assignment && (assignment.state === "sent" || assignment.state === "declined")) {
        if (assignment.state === "declined") li.appendChild(C.el("p", { role: "status", text: C.t("c.verify.declined") }));
        li.appendChild(answerButtons(s, li, render));
      } else {
        if (assignment && assignment.state === "accepted") li.appendChild(C.el("p", { role: "status", className: "done", text: C.t("c.verify.accepted") }));
        li.appendChild(outcomeForm(s, li, headingId));
      }
    }
    render(item.assignment);
    li._render = render;
    return li;
  }

  var loading = null, again = false;
  async function load() {
    if (loading) { again = true; return; }
    loading = (async function () {
      var res = await C.api("GET", "/api/v1/sightings/assigned");
      if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
      errorBox.textContent = "";
      var seen = {};
      res.data.forEach(function (item) {
        var id = item.sighting.id;
        seen[id] = true;
        var state = item.assignment ? item.assignment.state : "none";
        var existing = cards[id];
        if (!existing) { cards[id] = card(item); list.appendChild(cards[id]); }
        else if (existing._state !== state && !existing.dataset.done) existing._render(item.assignment);
      });
      Object.keys(cards).forEach(function (id) {
        if (!seen[id] && !cards[id].dataset.done) { cards[id].remove(); delete cards[id]; }
      });
      showNone();
    })();
    await loading;
    loading = null;
    if (again) { again = false; load(); }
  }

  var dutyLoaded = loadDuty();
  var hub = C.hub("/hubs/sightings");
  hub.on("sighting", function () { load(); });
  hub.onreconnected(load);
  // The zones first: a card names its neighbourhood.
  hub.start().then(function () { return dutyLoaded; }).then(load).catch(function () { dutyLoaded.then(load, load); });
})();
