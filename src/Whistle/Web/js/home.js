// The public map: neighbourhoods and active verified alerts, drawn as vectors so they show even when
// map tiles cannot load; the list and the map refresh every 20 seconds without a reload.
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

  fetch("/api/v1/zones").then(function (r) { return r.json(); }).then(function (geo) {
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
      var text = (p.messages && (p.messages[lang] || p.messages.en)) || p.place;
      var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var shape = p.radiusMeters ? L.circle(ll, { radius: p.radiusMeters, color: "#8a1c0b" }) : L.circleMarker(ll, { color: "#8a1c0b" });
      shape.bindPopup(text).addTo(alerts);
      var li = document.createElement("li");
      li.className = "alert";
      li.dataset.id = p.id;
      var strong = document.createElement("strong");
      strong.textContent = text;
      var when = document.createElement("span");
      when.className = "when";
      var until = new Date(p.expiresAt);
      when.textContent = list.dataset.until + " " + until.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
      li.appendChild(strong);
      li.appendChild(when);
      list.appendChild(li);
    });
  }

  function refresh() {
    fetch("/api/v1/alerts/active").then(function (r) { return r.json(); }).then(render).catch(function () { /* offline: keep what is shown */ });
  }
  refresh();
  setInterval(refresh, 20000);
})();
