// The alert composer on a sighting's page — area (a circle with a draggable centre and a radius, and/or
// neighbourhoods clicked on the map), the live preview (recipients per channel, time, cost, each language's
// message and SMS size), drill, send behind a confirmation, live progress per channel (/hubs/alerts), update,
// all clear, retraction. sighting.js starts it once the sighting is loaded.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  var id, current, load, ALERT_KEY;
  window.WhistleComposer = {
    start: function (sightingId, getSighting, reload) {
      id = sightingId; current = getSighting; load = reload; ALERT_KEY = "whistle.alert." + id;
      composer();
    },
    refresh: function () { preview(); },
  };

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
  var areaWarning = document.getElementById("area-warning");
  var outsideAck = document.getElementById("outside-ack");
  var NOT_PLACED = "https://whistle.example/problems/sighting-not-placed";

  // No position, no alert: never a default centre. The placement control (placement.js) places it first.
  function unplaced() {
    form.hidden = true;
    form.style.display = "none"; // .stack sets display, which beats [hidden]
    document.getElementById("send").disabled = true;
    document.getElementById("alert-unplaced").hidden = false;
  }

  function composer() {
    var sighting = current();
    if (sighting.lat == null || sighting.lon == null) { unplaced(); return; }
    var at = [sighting.lat, sighting.lon];
    map = L.map("alert-map").setView(at, 14);
    // The sighting's position and its reports on the same map as the area (tooltips are text, never HTML).
    L.circleMarker(at, { radius: 8, color: "#000", weight: 3, fillColor: "#f5c400", fillOpacity: 1, interactive: true, className: "sighting-at" })
      .bindTooltip(Object.assign(document.createElement("span"), { textContent: C.t("c.placement.sighting") })).addTo(map);
    C.api("GET", "/api/v1/sightings/" + id).then(function (res) {
      if (!res.ok) return;
      res.data.reports.forEach(function (r) {
        if (r.lat == null || r.lon == null) return;
        L.circleMarker([r.lat, r.lon], { radius: 4, color: "#333", weight: 1, fillOpacity: 0.6, className: "report-at" })
          .bindTooltip(Object.assign(document.createElement("span"), { textContent: C.t("c.placement.report") + " · " + C.time(r.observedAt) })).addTo(map);
      });
    });
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
      // Placed by neighbourhood: the area starts as that neighbourhood, not a circle around its middle.
      if (sighting.placedHow === "zone" && sighting.placedZoneId != null) {
        var z = geo.features.find(function (f) { return f.properties.id === sighting.placedZoneId; });
        if (z && !picked[z.properties.id]) {
          useCircle.checked = false; map.removeLayer(circle); map.removeLayer(centre);
          toggleZone(z.properties.id, z.properties.name);
        }
      }
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
    outsideAck.addEventListener("change", schedule);
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
    if (!areaWarning.hidden && outsideAck.checked) body.outsideAreaAcknowledged = true;
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
      if (res.problem && res.problem.type === NOT_PLACED) { unplaced(); return; }
      if (officerWarning(res.problem)) { C.clearProblem(form); return; }
      C.showProblem(form, res.problem);
      return;
    }
    officerWarning(null);
    C.clearProblem(form);
    var p = lastPreview = res.data;
    // The server says whether the area holds the sighting's position; sending outside it needs a tick (recorded).
    areaWarning.hidden = p.areaContainsSighting !== false;
    if (areaWarning.hidden) outsideAck.checked = false;
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
    if (lastPreview.areaContainsSighting === false && !outsideAck.checked) { outsideAck.focus(); return; }
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
})();
