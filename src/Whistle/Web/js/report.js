// The report form: location by tapping the map or from the phone, SALUTE fields to JSON, the API's
// problem details shown next to each field, and offline reports queued (Web/js/queue.js) to go out later.
(function () {
  "use strict";
  var showError = window.WhistleForms.showError;
  var form = document.getElementById("report");
  if (!form) return;
  var d = form.dataset;
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  var status = document.getElementById("location-status");
  var queueStatus = document.getElementById("queue-status");
  var summary = document.getElementById("form-error");
  var send = document.getElementById("send");
  var marker = null, map = null;

  // A trusted reporter's personal link (/report?t=…): the token is kept in this browser and taken out of the
  // address bar at once (so it is not in the history, a screenshot or a shared link); their reports carry it.
  var REPORTER = "whistle.reporter";
  try {
    var params = new URLSearchParams(location.search);
    if (params.get("t")) {
      localStorage.setItem(REPORTER, params.get("t").slice(0, 100));
      params.delete("t");
      history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : "") + location.hash);
    }
  } catch (e) { /* private mode: the link works for this visit only */ }
  function reporterToken() { try { return localStorage.getItem(REPORTER); } catch (e) { return null; } }

  // The map: tap to put the pin. Zones are drawn as vectors so there is something to see without tiles.
  var el = document.getElementById("map");
  if (el && window.L) {
    map = L.map(el, { scrollWheelZoom: false }).setView([44.9778, -93.265], 11);
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: el.dataset.attribution }).addTo(map);
    var zones = L.geoJSON(null, { style: { color: "#0b4f8a", weight: 1, fillOpacity: 0.03, className: "zone" }, interactive: false }).addTo(map);
    fetch("/site/zones.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      zones.addData(geo);
      if (!marker && zones.getBounds().isValid()) map.fitBounds(zones.getBounds());
    }).catch(function () { /* offline without a cached copy: the map is still tappable */ });
    map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng, d.picked); });
  }

  function place(la, lo, message) {
    lat.value = la.toFixed(6);
    lon.value = lo.toFixed(6);
    if (map) {
      if (marker) marker.setLatLng([la, lo]); else marker = L.marker([la, lo], { keyboard: false }).addTo(map);
    }
    status.textContent = message;
    showError("location", null);
  }

  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = d.noLocation; return; }
    status.textContent = d.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      place(pos.coords.latitude, pos.coords.longitude, d.located);
      if (map) map.setView([pos.coords.latitude, pos.coords.longitude], 15);
    }, function () { status.textContent = d.noLocation; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  function value(name) { var e = form.elements[name]; return e && e.value.trim() ? e.value.trim() : null; }
  function number(name) { var v = value(name); return v === null ? null : Number(v); }

  function body() {
    var when = value("observedAt");
    return JSON.stringify({
      channel: "web",
      activity: value("activity"),
      lat: lat.value ? Number(lat.value) : null,
      lon: lon.value ? Number(lon.value) : null,
      placeText: value("placeText"),
      agents: number("agents"),
      vehicles: number("vehicles"),
      agency: value("agency"),
      observedAt: when ? new Date(when).toISOString() : null,
      equipment: value("equipment"),
      text: value("text"),
      contact: value("contact"),
      reporterToken: reporterToken(),
    });
  }

  // API field → where its message goes.
  var fieldOf = { lat: "location", lon: "location", location: "location" };
  function clearErrors() {
    window.WhistleForms.clear(form);
    summary.hidden = true;
    summary.textContent = "";
  }
  function fail(text) { summary.textContent = text; summary.hidden = false; summary.focus && summary.scrollIntoView({ block: "center" }); }

  function done(queued) {
    var title = document.getElementById("done-title"), text = document.getElementById("done-text");
    title.textContent = queued ? title.dataset.queued : title.dataset.sent;
    text.textContent = queued ? text.dataset.queued : text.dataset.sent;
    form.hidden = true;
    var box = document.getElementById("done");
    box.hidden = false;
    box.focus();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearErrors();
    var json = body();
    send.dataset.label = send.dataset.label || send.textContent;
    send.disabled = true;
    send.textContent = d.sending;
    var restore = function () { send.disabled = false; send.textContent = send.dataset.label; };
    fetch("/api/v1/reports", { method: "POST", headers: { "content-type": "application/json", accept: "application/json" }, body: json })
      .then(function (r) {
        if (r.ok) { done(false); return; }
        restore();
        return r.json().catch(function () { return {}; }).then(function (problem) {
          if (r.status === 429) { fail(d.tooMany); return; }
          var placed = window.WhistleForms.showProblem(problem, d, function (k) { return fieldOf[k] || k; },
            function (messages) { fail((problem.title || d.failed) + ": " + messages.join(" ")); });
          if (!placed && summary.hidden) fail(problem.detail || problem.title || d.failed);
        });
      }, function () {
        // No network: keep the report on this phone and send it when the phone is back online.
        if (!window.WhistleQueue) { restore(); fail(d.failed); return; }
        return window.WhistleQueue.add(json).then(function () {
          done(true);
          showQueued();
          if (navigator.serviceWorker) {
            navigator.serviceWorker.ready.then(function (reg) {
              if (reg.sync) return reg.sync.register("whistle-reports");
            }).catch(function () { /* the online event and next page load send it instead */ });
          }
        }, function () { restore(); fail(d.failed); });
      });
  });

  function showQueued() {
    queueStatus.textContent = d.queued;
    queueStatus.className = "notice";
    queueStatus.hidden = false;
  }
  document.addEventListener("whistle-sent", function () {
    queueStatus.textContent = d.sentLater;
    queueStatus.className = "notice ok";
    queueStatus.hidden = false;
  });
  // Something still waiting from an earlier visit: say so.
  if (window.WhistleQueue) window.WhistleQueue.all().then(function (items) { if (items.length) showQueued(); }, function () { });
})();
