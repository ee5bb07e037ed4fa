// One sighting, laid out for the job: a map (the sighting, its reports' points and — for dispatchers — the verifiers on
// duty at their home zone, never closer), the status and the one next action beside it (dispatch → await verification →
// alert / resolve), the reports, and the history folded away. The alert composer is composer.js. The roster follows
// verifiers going on and off duty live (hub event "roster", dispatchers only); an escalation shows in the status.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var root = document.getElementById("sighting");
  var id = root.dataset.id;
  var sighting = null;
  var errorBox = document.getElementById("sighting-error");
  var zonesGeo = null;

  // ---- the map ----
  var map = L.map(document.getElementById("sighting-map")).setView([44.9778, -93.265], 12);
  var sightingLayer = L.layerGroup().addTo(map), verifierLayer = L.layerGroup().addTo(map);
  var framed = false;
  var zonesReady = fetch("/api/v1/zones").then(function (r) { return r.json(); }).then(function (geo) {
    zonesGeo = geo;
    L.geoJSON(geo, { style: { color: "#0b4f8a", weight: 1, fillOpacity: 0.02 }, interactive: false }).addTo(map);
  }).catch(function () { });
  function drawSighting(s, reports) {
    sightingLayer.clearLayers();
    var points = [];
    reports.forEach(function (r) {
      if (r.lat == null) return;
      points.push([r.lat, r.lon]);
      L.circleMarker([r.lat, r.lon], { radius: 5, color: "#4a4a4a", weight: 2, fillOpacity: 0.6 })
        .bindTooltip(Object.assign(document.createElement("span"), { textContent: C.t("c.map.report") + " · " + C.time(r.observedAt) })).addTo(sightingLayer);
    });
    if (s.lat != null) {
      points.push([s.lat, s.lon]);
      L.circleMarker([s.lat, s.lon], { radius: 11, color: "#8a1c0b", weight: 3, fillOpacity: 0.4 })
        .bindTooltip(Object.assign(document.createElement("span"), { textContent: C.t("c.map.sighting") + " · " + C.activity(s.activity) })).addTo(sightingLayer);
    }
    if (!framed && points.length) { framed = true; map.fitBounds(L.latLngBounds(points).pad(0.5), { maxZoom: 15 }); }
  }
  // Verifiers on duty, drawn at their home zone's middle: where they usually are, not where they are now.
  function drawVerifiers(list) {
    verifierLayer.clearLayers();
    if (!zonesGeo) return;
    list.filter(function (v) { return v.onDuty && v.homeZoneId != null; }).forEach(function (v) {
      var f = zonesGeo.features.filter(function (x) { return x.properties.id === v.homeZoneId; })[0];
      if (!f) return;
      var c = L.geoJSON(f).getBounds().getCenter();
      L.circleMarker(c, { radius: 7, color: "#0d5a1e", weight: 2, fillOpacity: 0.7 })
        .bindTooltip(Object.assign(document.createElement("span"), { textContent: C.t("c.map.verifier") + " · " + v.email + (v.assignment ? " · " + C.t("c.assign." + v.assignment) : "") }))
        .addTo(verifierLayer);
    });
  }

  // ---- status and the one next action ----
  var NEXT = { "new": "c.next.dispatch", "verifying": "c.next.await", "confirmed": "c.next.alert" };
  function showNext(s) {
    var open = s.state === "new" || s.state === "verifying";
    // A confirmed sighting without a position cannot be alerted: placing it is the next thing to do.
    document.getElementById("s-next-text").textContent = s.state === "confirmed" && (s.lat == null || s.lon == null) && C.canDispatch()
      ? C.t("c.next.place") : C.t(NEXT[s.state] || "c.next.closed");
    document.getElementById("dispatch").hidden = !C.canDispatch() || !open;
    document.getElementById("outcome").hidden = !open;
    document.getElementById("resolve").hidden = !C.canDispatch() || s.state !== "confirmed";
  }
  function showEscalation(s, assignments, history) {
    var box = document.getElementById("s-escalation");
    if (s.escalationStopped) {
      // Why it stopped is in the system's history entry: nobody left on duty, or the rounds used up.
      var stop = history.filter(function (h) { return h.actor === "system" && h.note && h.note.indexOf("escalation stopped") === 0; }).pop();
      box.textContent = C.t(stop && stop.note.indexOf("nobody left") < 0 ? "c.escalation.rounds" : "c.escalation.nobody");
    } else if (s.escalations > 0) {
      var asked = (assignments || []).filter(function (a) { return a.sentBy === "system"; });
      box.textContent = C.plural("c.n.asked", asked.length) + " " + asked.map(function (a) { return a.verifier || a.verifierId; }).join(", ");
    } else box.textContent = "";
  }
  // A verifier records outcomes here; dispatching, resolving and alerting are the dispatcher's (the API enforces it).
  if (!C.canDispatch()) ["dispatch", "resolve", "composer"].forEach(function (x) { document.getElementById(x).hidden = true; });
  var lastAssignments = [];

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
    await zonesReady;
    var zone = C.zoneAt(zonesGeo, s.lat, s.lon);
    document.getElementById("s-summary").textContent = (zone || C.t("c.place.none")) + (s.placeText ? " (" + s.placeText + ")" : "") + " · "
      + C.plural("c.n.reports", s.reportCount) + " · " + C.plural("c.n.sources", s.sourceCount)
      + (s.trusted ? " · " + C.t("c.intake.trusted") : "") + " · " + C.time(s.firstReportAt) + "–" + C.time(s.lastReportAt);
    showNext(s);
    lastAssignments = res.data.assignments;
    showEscalation(s, lastAssignments, res.data.history);
    drawSighting(s, res.data.reports);

    var reports = document.getElementById("reports");
    reports.textContent = "";
    res.data.reports.forEach(function (r) {
      var facts = [C.activity(r.activity), r.placeText, r.agents != null ? C.plural("c.n.agents", r.agents) : null,
        r.vehicles != null ? C.plural("c.n.vehicles", r.vehicles) : null, r.agency && r.agency !== "unknown" ? C.t("agency." + r.agency) : null,
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
    drawVerifiers(res.data);
    var ticked = {};
    body.querySelectorAll("input[name=verifier]:checked").forEach(function (x) { ticked[x.value] = true; });
    body.textContent = "";
    if (!res.data.length) body.appendChild(C.el("tr", {}, [C.el("td", { colspan: "7", text: C.t("c.roster.none") })]));
    res.data.forEach(function (v) {
      var box = C.el("input", { type: "checkbox", name: "verifier", value: v.id, "aria-label": C.t("c.roster.pick") + " " + v.email });
      if (ticked[v.id]) box.checked = true;
      if (v.assignment) box.disabled = true;
      var head = ["c.roster.pick", "c.roster.verifier", "c.roster.duty", "c.roster.zone", "c.roster.distance", "c.roster.reach", "c.roster.assignment"];
      var cells = [[box], v.email, v.onDuty ? C.t("c.yes") : C.t("c.no"), v.homeZone || "—",
        v.distanceMeters != null ? (v.distanceMeters / 1000).toFixed(1) + " km" : "—",
        v.reachable ? C.t("c.roster.message") : C.t("c.roster.console"), v.assignment ? C.t("c.assign." + v.assignment) : "—"];
      body.appendChild(C.el("tr", { "data-verifier": v.email, "data-assignment": v.assignment || "", "data-duty": v.onDuty ? "on" : "off" },
        cells.map(function (c, i) {
          return C.el("td", typeof c === "string" ? { "data-label": C.t(head[i]), text: c } : { "data-label": C.t(head[i]) }, typeof c === "string" ? [] : c);
        })));
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
  // Dispatchers only (the hub sends these to the dispatchers' group): a verifier went on or off duty; an escalation.
  sightingsHub.on("roster", function () { if (C.canDispatch()) roster(lastAssignments); });
  sightingsHub.on("escalation", function (n) { if (n.sightingId === id) load(); });
  sightingsHub.start().catch(function () { });
  load();
})();
