// The public map: neighbourhoods and active verified alerts, drawn as vectors so they show even when
// map tiles cannot load. The list and the map follow a Server-Sent Events stream (/api/v1/alerts/stream),
// which sends the alerts again each time they change; false alarms retracted in the last day show as such.
(function () {
  "use strict";
  var el = document.getElementById("map");
  var list = document.getElementById("alerts");
  if (!el || !window.L) return;
  var map = L.map(el, { scrollWheelZoom: false }).setView([44.9778, -93.265], 11);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18, attribution: el.dataset.attribution }).addTo(map);
  }
  var zones = L.geoJSON(null, { style: { color: "#0b4f8a", weight: 1, fillOpacity: 0.03 } }).addTo(map);
  var alerts = L.layerGroup().addTo(map);
  var lang = list.dataset.lang || "en";

  fetch("/site/zones.geojson").then(function (r) { return r.json(); }).then(function (geo) {
    zones.addData(geo);
    if (zones.getBounds().isValid()) map.fitBounds(zones.getBounds());
  });

  function render(geo) {
    alerts.clearLayers();
    list.textContent = "";
    if (!geo.features.length) {
      var none = document.createElement("li");
      none.className = "none";
      none.textContent = list.dataset.none;
      list.appendChild(none);
    }
    geo.features.forEach(function (f) {
      var p = f.properties;
      var retracted = p.state === "retracted";
      var text = (p.messages && (p.messages[lang] || p.messages.en)) || p.place;
      var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var style = retracted ? { color: "#4a4a4a", dashArray: "6 6", fillOpacity: 0.05 } : { color: "#8a1c0b" };
      var shape = p.radiusMeters ? L.circle(ll, Object.assign({ radius: p.radiusMeters }, style)) : L.circleMarker(ll, style);
      shape.bindPopup((retracted ? list.dataset.retracted + ": " : "") + text).addTo(alerts);
      var li = document.createElement("li");
      li.className = retracted ? "alert retracted" : "alert";
      li.dataset.id = p.id;
      li.id = "alert-" + p.id;
      if (retracted) {
        var label = document.createElement("span");
        label.className = "label";
        label.textContent = list.dataset.retracted;
        li.appendChild(label);
      }
      var strong = document.createElement("strong");
      strong.textContent = text;
      var when = document.createElement("span");
      when.className = "when";
      var at = new Date(retracted ? p.retractedAt : p.expiresAt);
      var time = at.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
      when.textContent = retracted ? time : list.dataset.until + " " + time;
      li.appendChild(strong);
      li.appendChild(when);
      list.appendChild(li);
    });
  }

  function refresh() {
    fetch("/api/v1/alerts/active?include=retracted").then(function (r) { return r.json(); }).then(render).catch(function () { /* offline: keep what is shown */ });
  }
  // Live: the server pushes the alerts whenever they change (EventSource reconnects by itself). Browsers
  // without EventSource poll instead.
  if (window.EventSource) {
    var stream = new EventSource("/api/v1/alerts/stream");
    var got = false;
    stream.addEventListener("alerts", function (e) { got = true; render(JSON.parse(e.data)); });
    stream.addEventListener("error", function () { if (!got) refresh(); }); // offline: the service worker's copy
    list.dataset.live = "true";
  } else {
    refresh();
    setInterval(refresh, 20000);
  }
})();
