// Sign-up: channel, language, area (zones on the map or in the list, or a point with a radius), then the
// 6-digit code. This browser as the channel: web push through the service worker (/sw.js).
(function () {
  "use strict";
  var form = document.getElementById("subscribe");
  if (!form) return;
  var d = form.dataset;
  var confirmForm = document.getElementById("confirm");
  var summary = document.getElementById("form-error");
  var address = document.getElementById("address");
  var addressLabel = document.getElementById("address-label");
  var addressBox = document.getElementById("address-box");
  var circleBox = document.getElementById("circle-box");
  var zoneList = document.getElementById("zone-list");
  var hint = document.getElementById("map-hint");
  var sent = null; // { address, channel } awaiting its code

  function checkbox(id) { return zoneList.querySelector("input[value='" + id + "']"); }
  function mode() { return form.elements.mode.value; }

  // The map: zones toggle on click, kept in step with the checkbox list (for keyboards and screen readers).
  var el = document.getElementById("map");
  var map = null, layers = {}, centre = null, circle = null;
  var plain = { color: "#0b4f8a", weight: 1, fillOpacity: 0.05 }, picked = { color: "#8a1c0b", weight: 2, fillOpacity: 0.35 };
  if (el && window.L) {
    map = L.map(el, { scrollWheelZoom: false }).setView([44.9778, -93.265], 11);
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: el.dataset.attribution }).addTo(map);
    var zones = L.geoJSON(null, {
      style: function () { return Object.assign({ className: "zone" }, plain); },
      onEachFeature: function (f, layer) {
        layers[f.properties.id] = layer;
        layer.bindTooltip(Object.assign(document.createElement("span"), { textContent: f.properties.name })); // text, never HTML
        layer.on("click", function (e) {
          if (mode() !== "zones") return;
          L.DomEvent.stopPropagation(e);
          var box = checkbox(f.properties.id);
          if (box) { box.checked = !box.checked; paint(f.properties.id); }
        });
      },
    }).addTo(map);
    fetch("/site/zones.geojson").then(function (r) { return r.json(); }).then(function (geo) {
      zones.addData(geo);
      if (zones.getBounds().isValid()) map.fitBounds(zones.getBounds());
      zoneList.querySelectorAll("input:checked").forEach(function (b) { paint(b.value); });
    }).catch(function () { });
    map.on("click", function (e) { if (mode() === "circle") setCentre(e.latlng.lat, e.latlng.lng, d.picked); });
  }
  function paint(id) {
    var layer = layers[id], box = checkbox(id);
    if (layer && box) layer.setStyle(box.checked ? picked : plain);
  }
  zoneList.addEventListener("change", function (e) { if (e.target.name === "zones") paint(e.target.value); });

  function setCentre(lat, lon, message) {
    centre = { lat: lat, lon: lon };
    var r = Number(form.elements.radius.value);
    if (map) {
      if (circle) circle.setLatLng([lat, lon]).setRadius(r);
      else circle = L.circle([lat, lon], { radius: r, color: "#8a1c0b" }).addTo(map);
    }
    document.getElementById("location-status").textContent = message;
  }
  form.elements.radius.addEventListener("change", function () { if (circle) circle.setRadius(Number(form.elements.radius.value)); });
  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (p) {
      setCentre(p.coords.latitude, p.coords.longitude, d.picked);
      if (map) map.setView([p.coords.latitude, p.coords.longitude], 14);
    }, function () { }, { timeout: 15000, maximumAge: 60000 });
  });

  form.addEventListener("change", function (e) {
    if (e.target.name === "mode") {
      var c = mode() === "circle";
      circleBox.hidden = !c;
      zoneList.hidden = c;
      hint.textContent = c ? hint.dataset.circle : hint.dataset.zones;
    }
    if (e.target.name === "channel") {
      var ch = form.elements.channel.value;
      addressBox.hidden = ch === "webpush";
      addressLabel.textContent = addressLabel.dataset[ch] || addressLabel.textContent;
      address.type = ch === "email" ? "email" : ch === "sms" ? "tel" : "text";
      address.autocomplete = ch === "email" ? "email" : ch === "sms" ? "tel" : "off";
    }
  });

  function clear(f) {
    window.WhistleForms.clear(f);
    f.querySelectorAll(".error-summary").forEach(function (s) { s.hidden = true; s.textContent = ""; });
  }
  function fail(box, text) { box.textContent = text; box.hidden = false; }

  // Problem details: each field's messages next to it (ours where we have them), the rest in the summary.
  function problems(r, box) {
    return r.json().catch(function () { return {}; }).then(function (problem) {
      if (r.status === 429) { fail(box, d.tooMany); return; }
      var placed = window.WhistleForms.showProblem(problem, d,
        function (k) { return k.indexOf("circle") === 0 ? "circle" : k.indexOf("keys") === 0 ? "keys" : k; },
        function (messages) { fail(box, messages.join(" ")); });
      if (!placed && box.hidden) fail(box, problem.detail || problem.title || d.failed);
    });
  }

  function pushSubscription() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) return Promise.reject(new Error(d.noPush));
    return Promise.all([navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () { return navigator.serviceWorker.ready; }),
      fetch("/api/v1/push/key").then(function (r) { return r.json(); })])
      .then(function (both) {
        var key = both[1].publicKey.replace(/-/g, "+").replace(/_/g, "/");
        var raw = atob(key + "===".slice((key.length + 3) % 4));
        var bytes = new Uint8Array(raw.length);
        for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
        return both[0].pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes });
      })
      .catch(function (e) { throw new Error(e && e.name === "NotAllowedError" ? d.pushDenied : d.noPush); });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clear(form);
    var channel = form.elements.channel.value || null;
    var body = { channel: channel, language: form.elements.language.value, address: address.value.trim() || null,
      drills: !!(form.elements.drills && form.elements.drills.checked) };
    if (mode() === "circle") {
      body.circle = centre ? { lat: centre.lat, lon: centre.lon, radiusMeters: Number(form.elements.radius.value) } : null;
    } else {
      body.zones = Array.prototype.map.call(zoneList.querySelectorAll("input:checked"), function (b) { return Number(b.value); });
    }
    var ready = channel === "webpush"
      ? pushSubscription().then(function (s) { var j = s.toJSON(); body.address = j.endpoint; body.keys = j.keys; })
      : Promise.resolve();
    ready.then(function () {
      return fetch("/api/v1/subscriptions", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    }).then(function (r) {
      if (r.ok) {
        sent = { address: body.address, channel: channel };
        if (channel === "webpush") { var t = document.getElementById("confirm-text"); t.textContent = t.dataset.push; }
        // The number as it was understood: "+1 612-555-0142", so a mistyped one is seen before waiting for a code.
        r.json().then(function (a) {
          var to = document.getElementById("confirm-to");
          if (a && a.to) { to.textContent = to.dataset.text.replace("{to}", a.to); to.hidden = false; }
        }).catch(function () { });
        form.hidden = true;
        confirmForm.hidden = false;
        document.getElementById("confirm-title").focus();
        return;
      }
      return problems(r, summary);
    }).catch(function (err) { fail(summary, (err && err.message) || d.failed); });
  });

  confirmForm.addEventListener("submit", function (e) {
    e.preventDefault();
    clear(confirmForm);
    var box = document.getElementById("confirm-error");
    fetch("/api/v1/subscriptions/confirm", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ address: sent.address, channel: sent.channel, code: confirmForm.elements.code.value.trim() }) })
      .then(function (r) {
        if (r.ok) {
          confirmForm.hidden = true;
          var done = document.getElementById("done");
          done.hidden = false;
          done.focus();
          return;
        }
        return problems(r, box);
      }, function () { fail(box, d.failed); });
  });
})();
