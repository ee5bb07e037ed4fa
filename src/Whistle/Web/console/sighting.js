// One sighting: its reports and history, dispatch, outcome, resolve; and the alert composer —
// area (a circle with a draggable centre and a radius, and/or neighbourhoods clicked on the map),
// the live preview (recipients per channel, time, cost, each language's message and SMS size),
// drill, send behind a confirmation, live progress per channel (/hubs/alerts), update, all clear, retraction.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var root = document.getElementById("sighting");
  var id = root.dataset.id;
  var sighting = null;
  var errorBox = document.getElementById("sighting-error");
  var ALERT_KEY = "whistle.alert." + id;
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
      var facts = [C.activity(r.activity), r.placeText, r.agents != null ? "agents: " + r.agents : null,
        r.vehicles != null ? "vehicles: " + r.vehicles : null, r.agency !== "unknown" ? r.agency : null,
        r.equipment, r.channel].filter(Boolean).join(" · ");
      reports.appendChild(C.el("li", { className: "card" }, [
        C.el("span", { className: "meta", text: C.time(r.observedAt) }),
        C.el("p", { text: facts }),
        r.text ? C.el("p", { text: r.text }) : null,
        r.contact ? C.el("p", { text: "☎ " + r.contact }) : null,
      ]));
    });
    var history = document.getElementById("history");
    history.textContent = "";
    res.data.history.forEach(function (h) {
      history.appendChild(C.el("li", {}, [
        C.el("time", { datetime: h.at, text: C.time(h.at) }), " ",
        C.state(h.from) + " → " + C.state(h.to) + " · " + h.actor + (h.note ? " · “" + h.note + "”" : ""),
      ]));
    });
    if (C.canDispatch()) roster(res.data.assignments);
    if (first) composer();
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
    preview();
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
      preview();
    });
  }
  move("outcome", "/api/v1/sightings/" + id + "/verification", function (f) {
    var picked = f.querySelector("input[name=outcome]:checked");
    return { outcome: picked ? picked.value : null, note: f.note.value.trim() || null };
  });
  move("resolve", "/api/v1/sightings/" + id + "/resolve", function (f) { return { note: f.note.value.trim() || null }; });

  // ---- the composer ----
  var form = document.getElementById("alert-form");
  var radius = document.getElementById("radius");
  var useCircle = document.getElementById("use-circle");
  var drill = document.getElementById("drill");
  var place = document.getElementById("place");
  var warning = document.getElementById("officer-warning");
  var override = document.getElementById("override");
  var overrideReason = document.getElementById("override-reason");
  var picked = {};  // zone id -> name
  var map, circle, centre, zonesLayer, timer, lastPreview = null;

  function composer() {
    map = L.map("alert-map").setView([sighting.lat || 44.9778, sighting.lon || -93.265], 13);
    var at = [sighting.lat || 44.9778, sighting.lon || -93.265];
    circle = L.circle(at, { radius: +radius.value, color: "#8a1c0b", interactive: false }).addTo(map);
    centre = L.marker(at, { draggable: true, keyboard: true, title: C.t("c.alert.centre"), alt: C.t("c.alert.centre") }).addTo(map);
    centre.on("drag", function () { circle.setLatLng(centre.getLatLng()); });
    centre.on("dragend", schedule);
    fetch("/api/v1/zones").then(function (r) { return r.json(); }).then(function (geo) {
      zonesLayer = L.geoJSON(geo, {
        style: function (f) { return zoneStyle(f.properties.id); },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(Object.assign(document.createElement("span"), { textContent: f.properties.name })); // text, never HTML
          layer.on("click", function () { toggleZone(f.properties.id, f.properties.name); });
        },
      }).addTo(map);
      circle.bringToFront();
    }).catch(function () { });
    radius.addEventListener("input", function () {
      if (+radius.value >= 50) circle.setRadius(+radius.value);
      schedule();
    });
    useCircle.addEventListener("change", function () {
      if (useCircle.checked) { circle.addTo(map); centre.addTo(map); } else { map.removeLayer(circle); map.removeLayer(centre); }
      schedule();
    });
    drill.addEventListener("change", schedule);
    place.addEventListener("input", schedule);
    override.addEventListener("change", schedule);
    overrideReason.addEventListener("input", schedule);
    var previous = sessionStorage.getItem(ALERT_KEY);
    if (previous) watch(previous);
    preview();
  }

  function zoneStyle(zid) {
    return picked[zid] ? { color: "#0b4f8a", weight: 2, fillOpacity: 0.35 } : { color: "#0b4f8a", weight: 1, fillOpacity: 0.03 };
  }
  function toggleZone(zid, name) {
    if (picked[zid]) delete picked[zid]; else picked[zid] = name;
    zonesLayer.setStyle(function (f) { return zoneStyle(f.properties.id); });
    var names = Object.values(picked);
    var out = document.getElementById("zones-picked");
    out.textContent = names.length ? names.join(", ") : out.dataset.none;
    schedule();
  }

  function request() {
    var body = { sightingId: id, drill: drill.checked, place: place.value.trim() || null };
    withOverride(body);
    if (useCircle.checked) {
      var ll = centre.getLatLng();
      body.circle = { lat: ll.lat, lon: ll.lng, radiusMeters: +radius.value };
    }
    var zones = Object.keys(picked).map(Number);
    if (zones.length) body.zones = zones;
    return body;
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(preview, 250); }

  // Words that look like they identify an officer: the server refuses them (422, naming what it found) until
  // the dispatcher ticks "send anyway" and gives a reason, which is recorded with their name.
  function withOverride(body) {
    if (!warning.hidden && override.checked) body.override = { reason: overrideReason.value.trim() };
    return body;
  }
  function officerWarning(problem) {
    var findings = problem && problem.findings;
    if (!findings || !findings.length) {
      if (!override.checked) warning.hidden = true;
      return false;
    }
    var list = document.getElementById("officer-findings");
    list.textContent = "";
    findings.forEach(function (f) {
      list.appendChild(C.el("li", { text: C.t("c.officer." + f.kind) + ": \u201C" + f.match + "\u201D" }));
    });
    warning.hidden = false;
    return true;
  }

  async function preview() {
    if (!map) return;
    var res = await C.api("POST", "/api/v1/alerts/preview", request());
    if (!res.ok) {
      lastPreview = null;
      if (officerWarning(res.problem)) { C.clearProblem(form); return; }
      C.showProblem(form, res.problem);
      return;
    }
    officerWarning(null);
    C.clearProblem(form);
    var p = lastPreview = res.data;
    document.getElementById("recipients").textContent = p.recipients.toLocaleString();
    var rows = document.getElementById("channels");
    rows.textContent = "";
    Object.keys(p.channels).forEach(function (ch) {
      var c = p.channels[ch];
      rows.appendChild(C.el("tr", { "data-channel": ch }, [
        C.el("th", { scope: "row", text: ch }), C.el("td", { text: c.recipients.toLocaleString() }),
        C.el("td", { text: Math.ceil(c.estimatedSeconds) + " s" }),
      ]));
    });
    document.getElementById("cost").textContent = p.smsCostEstimate + " " + p.currency;
    var messages = document.getElementById("messages");
    messages.textContent = "";
    Object.keys(p.messages).forEach(function (lang) {
      var size = p.sms[lang];
      messages.appendChild(C.el("li", { "data-lang": lang }, [
        C.el("p", { lang: lang, text: p.messages[lang] }),
        C.el("span", { className: "meta", text: lang + " · " + C.t("c.segments") + ": " + size.segments + " (" + size.encoding + ", " + size.units + ")" }),
      ]));
    });
  }

  var dialog = document.getElementById("confirm");
  document.getElementById("send").addEventListener("click", async function () {
    await preview();
    if (!lastPreview) return;
    document.getElementById("confirm-summary").textContent =
      (drill.checked ? C.t("c.drill") + " · " : "") + C.t("c.recipients") + ": " + lastPreview.recipients.toLocaleString();
    dialog.showModal();
  });
  document.getElementById("confirm-no").addEventListener("click", function () { dialog.close(); });
  document.getElementById("confirm-yes").addEventListener("click", async function () {
    var yes = this;
    yes.disabled = true;
    var res = await C.api("POST", "/api/v1/alerts", request());
    yes.disabled = false;
    dialog.close();
    if (!res.ok) { officerWarning(res.problem); C.showProblem(form, res.problem); return; }
    sessionStorage.setItem(ALERT_KEY, res.data.id);
    watch(res.data.id);
  });

  // ---- progress ----
  var alertId = null, alertsHub = null;
  function bars(p) {
    var box = document.getElementById("progress");
    box.textContent = "";
    var channels = p.channels || {};
    Object.keys(channels).forEach(function (ch) {
      var c = channels[ch];
      var done = c.recipients - c.pending - c.failed;
      var barId = "bar-" + ch;
      box.appendChild(C.el("div", { className: "bar" + (c.lagging ? " lagging" : ""), "data-channel": ch }, [
        C.el("label", { for: barId, text: ch + ": " + done + " / " + c.recipients + (c.dead ? " (" + c.dead + " dead)" : "") }),
        C.el("progress", { id: barId, max: String(Math.max(1, c.recipients)), value: String(done) }),
      ]));
    });
    if (!Object.keys(channels).length) box.appendChild(C.el("p", { text: C.t("c.recipients") + ": 0" }));
    box.dataset.done = p.done ? "true" : "false";
  }

  async function watch(aid) {
    alertId = aid;
    document.getElementById("sent").hidden = false;
    if (!alertsHub) {
      alertsHub = C.hub("/hubs/alerts");
      alertsHub.on("progress", function (p) { if (p.alertId === alertId) bars(p); });
      alertsHub.onreconnected(function () { alertsHub.invoke("Watch", alertId); });
      try { await alertsHub.start(); } catch (e) { /* fall back to the snapshot below */ }
    }
    try { await alertsHub.invoke("Watch", aid); } catch (e) { }
    var res = await C.api("GET", "/api/v1/alerts/" + aid);
    if (res.ok) {
      bars(res.data.progress);
      var status = document.getElementById("sent-status");
      if (res.data.cancelReason) status.textContent = C.t(res.data.cancelReason === "false_alarm" ? "c.falsealarm" : "c.allclear");
    } else C.showProblem(document, res.problem, document.getElementById("sent-error"));
  }

  async function followUp(url, body, label) {
    var box = document.getElementById("sent-error");
    box.textContent = "";
    var res = await C.api("POST", url, body);
    if (!res.ok) { officerWarning(res.problem); C.showProblem(document, res.problem, box); return; }
    document.getElementById("sent-status").textContent = label + " · " + C.t("c.sent") + " (" + res.data.recipients + ")";
    await load();
  }
  document.getElementById("update").addEventListener("click", function () {
    followUp("/api/v1/alerts/" + alertId + "/update", withOverride({ place: place.value.trim() || null }), C.t("c.update"));
  });
  document.getElementById("all-clear").addEventListener("click", function () {
    followUp("/api/v1/alerts/" + alertId + "/cancel", { reason: "all_clear" }, C.t("c.allclear"));
  });
  document.getElementById("false-alarm").addEventListener("click", function () {
    followUp("/api/v1/alerts/" + alertId + "/cancel", { reason: "false_alarm" }, C.t("c.falsealarm"));
  });

  var sightingsHub = C.hub("/hubs/sightings");
  sightingsHub.on("sighting", function (s) { if (s.id === id) load(); });
  sightingsHub.start().catch(function () { });
  load();
})();
