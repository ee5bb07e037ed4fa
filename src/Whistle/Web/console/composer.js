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

  function composer() {
    var sighting = current();
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
    // Languages whose templates a native speaker has not reviewed yet: said before sending, not after.
    var warn = document.getElementById("unreviewed-warning"), names = JSON.parse(warn.dataset.names || "{}");
    var unreviewed = p.unreviewed || [];
    warn.hidden = unreviewed.length === 0;
    warn.textContent = C.t("c.composer.unreviewed").replace("{languages}", unreviewed.map(function (l) { return names[l] || l; }).join(", "));
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
})();
