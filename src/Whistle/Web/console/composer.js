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
    // The sighting as the API has it now (GET /sightings/{id}): its live alert and state decide which actions remain.
    sync: function (detail) { sync(detail); },
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
    map = L.map("alert-map").setView(at, 13);
    // The sighting's position and its reports on the same map as the area (tooltips are text, never HTML).
    L.circleMarker(at, { radius: 8, color: "#000", weight: 3, fillColor: "#f5c400", fillOpacity: 1, interactive: true, className: "sighting-at" })
      .bindTooltip(Object.assign(document.createElement("span"), { textContent: C.t("c.placement.sighting") })).on("click", clickThrough).addTo(map);
    C.api("GET", "/api/v1/sightings/" + id).then(function (res) {
      if (!res.ok) return;
      res.data.reports.forEach(function (r) {
        if (r.lat == null || r.lon == null) return;
        L.circleMarker([r.lat, r.lon], { radius: 4, color: "#333", weight: 1, fillOpacity: 0.6, className: "report-at" })
          .bindTooltip(Object.assign(document.createElement("span"), { textContent: C.t("c.placement.report") + " · " + C.time(r.observedAt) }))
          .on("click", clickThrough).addTo(map);
      });
    });
    circle = L.circle(at, { radius: +radius.value, color: "#8a1c0b", interactive: false }).addTo(map);
    centre = L.marker(at, { draggable: true, keyboard: true, title: C.t("c.alert.centre"), alt: C.t("c.alert.centre") }).addTo(map);
    centre.on("drag", function () { circle.setLatLng(centre.getLatLng()); });
    centre.on("dragend", schedule);
    // A click on the sighting's or a report's marker picks the neighbourhood under it, as a click on the map does.
    function clickThrough(e) {
      var name = zonesGeo && C.zoneAt(zonesGeo, e.latlng.lat, e.latlng.lng);
      var f = name && zonesGeo.features.filter(function (x) { return x.properties.name === name; })[0];
      if (f) toggleZone(f.properties.id, f.properties.name);
    }
    var zonesGeo = null;
    fetch("/api/v1/zones").then(function (r) { return r.json(); }).then(function (geo) {
      zonesGeo = geo;
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
    drill.addEventListener("change", function () { document.getElementById("drill-audience").hidden = !drill.checked; actions(); schedule(); });
    form.addEventListener("change", function (e) { if (e.target.name === "audience") schedule(); });
    var why = document.getElementById("audience-reason");
    if (why) why.addEventListener("input", schedule);
    outsideAck.addEventListener("change", schedule);
    place.addEventListener("input", schedule);
    override.addEventListener("change", schedule);
    overrideReason.addEventListener("input", schedule);
    var previous = sessionStorage.getItem(ALERT_KEY);
    if (previous && !alertId) watch(previous);
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
    if (drill.checked) {
      var chosen = form.querySelector("input[name=audience]:checked");
      body.audience = chosen ? chosen.value : "test";
      var why = document.getElementById("audience-reason");
      if (body.audience === "public" && why) body.audienceReason = why.value.trim() || null;
    }
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
    var drillSummary = document.getElementById("drill-summary");
    drillSummary.hidden = !drill.checked;
    drillSummary.textContent = drill.checked ? audienceText(p) : "";
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
      messages.appendChild(C.el("li", { "data-lang": lang, lang: lang }, [
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

  // "Drill — test audience: N staff, M subscribers who opted in", or "Drill — general public" (an admin's override).
  function audienceText(p) {
    if (p.audience !== "test") return C.t("c.drill.to.public");
    return C.t("c.drill.to.test").replace("{staff}", p.staffRecipients.toLocaleString())
      .replace("{subscribers}", p.optedInRecipients.toLocaleString());
  }


  // ---- sending: once, deliberately ----
  // The dialog names the area, who gets it per channel and language, and the words; "Go back" has the focus; above
  // the network's size the count must be typed before "Send now" enables. One Idempotency-Key per opened dialog,
  // kept after a network failure so that pressing again repeats the same request (the server answers it once).
  var dialog = document.getElementById("confirm");
  var yes = document.getElementById("confirm-yes");
  var typed = document.getElementById("confirm-typed");
  var typedBox = document.getElementById("confirm-typed-box");
  var sendKey = null, needTyped = null;
  function key() { return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2); }
  function fill(template, values) {
    return Object.keys(values).reduce(function (t, k) { return t.split("{" + k + "}").join(values[k]); }, template);
  }
  function areaText(body) {
    var parts = [];
    if (body.circle) parts.push(fill(C.t("c.send.circle"), {
      radius: Math.round(body.circle.radiusMeters).toLocaleString(), lat: body.circle.lat.toFixed(4), lon: body.circle.lon.toFixed(4) }));
    var names = Object.values(picked);
    if (names.length) parts.push(fill(C.t("c.send.zones"), { zones: names.join(", ") }));
    return parts.join(" · ");
  }
  function summary(p, body) {
    document.getElementById("confirm-summary").textContent =
      (drill.checked ? audienceText(p) + " · " : "") + C.t("c.recipients") + ": " + p.recipients.toLocaleString();
    document.getElementById("confirm-area").textContent = areaText(body);
    var rows = document.getElementById("confirm-recipients");
    rows.textContent = "";
    Object.keys(p.channels).forEach(function (ch) {
      var langs = p.channels[ch].languages || {};
      Object.keys(langs).sort().forEach(function (lang) {
        rows.appendChild(C.el("tr", { "data-channel": ch, "data-lang": lang }, [
          C.el("th", { scope: "row", text: ch }), C.el("td", { text: lang }), C.el("td", { text: langs[lang].toLocaleString() }),
        ]));
      });
    });
    var list = document.getElementById("confirm-messages");
    list.textContent = "";
    Object.keys(p.messages).forEach(function (lang) {
      list.appendChild(C.el("li", { "data-lang": lang }, [C.el("p", { lang: lang, text: p.messages[lang] }), C.el("span", { className: "meta", text: lang })]));
    });
    needTyped = p.recipients > p.typedConfirmationAbove ? String(p.recipients) : null;
    typedBox.hidden = !needTyped;
    typed.value = "";
    if (needTyped) document.getElementById("confirm-typed-label").textContent = fill(C.t("c.send.typed"), { n: needTyped });
    yes.disabled = !!needTyped;
  }
  typed.addEventListener("input", function () { yes.disabled = typed.value.replace(/[\s,.]/g, "") !== needTyped; });
  document.getElementById("send").addEventListener("click", async function () {
    await preview();
    if (!lastPreview) return;
    if (lastPreview.areaContainsSighting === false && !outsideAck.checked) { outsideAck.focus(); return; }
    summary(lastPreview, request());
    document.getElementById("confirm-error").textContent = "";
    if (!sendKey) sendKey = key();
    dialog.showModal();
    document.getElementById("confirm-no").focus();
  });
  document.getElementById("confirm-no").addEventListener("click", function () { sendKey = null; approving = null; dialog.close(); });
  yes.addEventListener("click", async function () {
    if (needTyped && typed.value.replace(/[\s,.]/g, "") !== needTyped) return;
    yes.disabled = true;
    var res = approving
      ? await C.api("POST", "/api/v1/alerts/" + approving + "/approve", {}, false, { "Idempotency-Key": sendKey })
      : await C.api("POST", "/api/v1/alerts", request(), false, { "Idempotency-Key": sendKey });
    yes.disabled = false;
    if (res.status === 0) { C.showProblem(document, res.problem, document.getElementById("confirm-error")); return; } // same key on retry
    sendKey = null;
    dialog.close();
    if (approving) {
      var approved = approving;
      approving = null;
      if (!res.ok) C.showProblem(document, res.problem, document.getElementById("sent-error"));
      await watch(approved);
      await load();
      return;
    }
    if (!res.ok) {
      officerWarning(res.problem);
      C.showProblem(form, res.problem);
      if (res.problem && res.problem.activeAlertId) { watch(res.problem.activeAlertId); await load(); }
      return;
    }
    sessionStorage.setItem(ALERT_KEY, res.data.id);
    await watch(res.data.id);
    await load();
  });

  // Which actions still apply: "Send alert…" only while the sighting is confirmed (or for a drill) and has no live
  // alert; update only for a live alert of an open sighting; all clear / retraction until the alert is cancelled.
  var detail = null, watched = null;
  function sync(d) {
    detail = d;
    if (d.activeAlertId && d.activeAlertId !== alertId) watch(d.activeAlertId);
    actions();
  }
  function actions() {
    var state = detail ? detail.sighting.state : null;
    var closed = state === "resolved" || state === "false_alarm";
    var live = detail && detail.activeAlertId;
    var blocked = document.getElementById("send-blocked");
    var hideSend = !!(live || closed) && !drill.checked;
    document.getElementById("send").hidden = hideSend;
    blocked.hidden = !hideSend;
    blocked.textContent = hideSend ? C.t(live ? "c.send.active" : "c.send.closed") : "";
    var cancelled = !watched || watched.state === "cancelled" || !!watched.cancelReason
      || watched.state === "pending_approval" || watched.state === "rejected";
    document.getElementById("update").hidden = cancelled || closed || !watched || watched.state !== "active";
    document.getElementById("all-clear").hidden = cancelled;
    document.getElementById("false-alarm").hidden = cancelled;
  }

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
      if (aid === alertId) { watched = res.data; actions(); }
      bars(res.data.progress);
      approval(res.data);
      var status = document.getElementById("sent-status");
      if (res.data.cancelReason) status.textContent = C.t(res.data.cancelReason === "false_alarm" ? "c.falsealarm" : "c.allclear");
    } else C.showProblem(document, res.problem, document.getElementById("sent-error"));
  }

  // ---- the two-person rule ----
  // The author sees "waiting"; another dispatcher sees who wrote it and for how many, and "Review and approve…" opens the
  // send dialog with the same summary the author saw (area, recipients per channel and language, the stored words) and
  // the same typed confirmation above the size. The server refuses the author's own approval in any case.
  var approving = null;
  function approval(a) {
    var box = document.getElementById("approval");
    var pendingNow = a.state === "pending_approval", rejected = a.state === "rejected";
    box.hidden = !pendingNow && !rejected;
    if (box.hidden) return;
    var mine = sessionStorage.getItem(ALERT_KEY) === a.id; // sent from this tab
    document.getElementById("approval-waiting").hidden = !pendingNow || !mine;
    document.getElementById("approval-ask").hidden = !pendingNow || mine;
    document.getElementById("approval-rejected").hidden = !rejected;
    document.getElementById("approval-actions").hidden = !pendingNow;
    document.getElementById("approve").hidden = !!mine;
    document.getElementById("approval-author").textContent = a.author || "";
    document.getElementById("approval-recipients").textContent = a.recipients.toLocaleString();
  }
  document.getElementById("approve").addEventListener("click", async function () {
    var box = document.getElementById("sent-error");
    var now = await C.api("GET", "/api/v1/alerts/" + alertId);
    if (!now.ok) { C.showProblem(document, now.problem, box); return; }
    var a = now.data;
    var body = { sightingId: a.sightingId, circle: a.circle, zones: a.zones, drill: a.drill, audience: a.audience, activity: a.activity };
    var p = await C.api("POST", "/api/v1/alerts/preview", body);
    if (!p.ok) { C.showProblem(document, p.problem, box); return; }
    p.data.messages = a.messages; // the words that will go out are the stored ones
    summary(p.data, body);
    document.getElementById("confirm-error").textContent = "";
    approving = a.id;
    sendKey = key();
    dialog.showModal();
    document.getElementById("confirm-no").focus();
  });
  document.getElementById("reject").addEventListener("click", async function () {
    var box = document.getElementById("approval");
    var res = await C.api("POST", "/api/v1/alerts/" + alertId + "/reject", { reason: document.getElementById("reject-reason").value.trim() },
      false, { "Idempotency-Key": key() });
    if (!res.ok) { C.showProblem(box, res.problem); return; }
    C.clearProblem(box);
    sessionStorage.removeItem(ALERT_KEY);
    await watch(alertId);
    await load();
  });

  // Update, all clear, retraction: first a dialog naming how many people it reaches ("Cancel" focused), then once.
  var followDialog = document.getElementById("followup-confirm");
  var pending = null;
  async function followUp(url, body, label, question) {
    var box = document.getElementById("sent-error");
    box.textContent = "";
    var now = await C.api("GET", "/api/v1/alerts/" + alertId);
    if (!now.ok) { C.showProblem(document, now.problem, box); return; }
    watched = now.data;
    actions();
    var n = now.data.reached != null ? now.data.reached : now.data.recipients;
    document.getElementById("followup-question").textContent = fill(C.t(question), { n: n.toLocaleString() });
    pending = { url: url, body: body, label: label, key: key() };
    followDialog.showModal();
    document.getElementById("followup-no").focus();
  }
  document.getElementById("followup-no").addEventListener("click", function () { pending = null; followDialog.close(); });
  document.getElementById("followup-yes").addEventListener("click", async function () {
    if (!pending) return;
    var go = this, box = document.getElementById("sent-error");
    go.disabled = true;
    var res = await C.api("POST", pending.url, pending.body, false, { "Idempotency-Key": pending.key });
    go.disabled = false;
    if (res.status === 0) { C.showProblem(document, res.problem, box); return; } // the dialog stays; pressing again repeats the same key
    var label = pending.label;
    pending = null;
    followDialog.close();
    if (!res.ok) { officerWarning(res.problem); C.showProblem(document, res.problem, box); }
    else document.getElementById("sent-status").textContent = label + " · " + C.t("c.sent") + " (" + res.data.recipients + ")";
    if (alertId) await watch(alertId);
    await load();
  });
  document.getElementById("update").addEventListener("click", function () {
    followUp("/api/v1/alerts/" + alertId + "/update", withOverride({ place: place.value.trim() || null }), C.t("c.update"), "c.followup.update");
  });
  document.getElementById("all-clear").addEventListener("click", function () {
    followUp("/api/v1/alerts/" + alertId + "/cancel", { reason: "all_clear" }, C.t("c.allclear"), "c.followup.allclear");
  });
  document.getElementById("false-alarm").addEventListener("click", function () {
    followUp("/api/v1/alerts/" + alertId + "/cancel", { reason: "false_alarm" }, C.t("c.falsealarm"), "c.followup.falsealarm");
  });
})();
