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
  // Times in the network's zone (<html data-tz>), not the visitor's, named ("12:58 PM CST"): issue 12 §4.
  function clock(at) {
    var tz = document.documentElement.dataset.tz || "UTC";
    var o = { hour: "numeric", minute: "2-digit", timeZone: tz };
    var name = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "short" }).formatToParts(at)
      .filter(function (x) { return x.type === "timeZoneName"; })[0];
    var time;
    try { time = new Intl.DateTimeFormat(document.documentElement.lang, o).format(at); }
    catch (e) { time = new Intl.DateTimeFormat("en", o).format(at); }
    return time + (name ? " " + name.value : "");
  }

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
      // Text, never HTML: Leaflet inserts a string popup as HTML.
      shape.bindPopup(Object.assign(document.createElement("span"), { textContent: (retracted ? list.dataset.retracted + ": " : "") + text })).addTo(alerts);
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
      var time = clock(at);
      when.textContent = retracted ? time : list.dataset.until + " " + time;
      li.appendChild(strong);
      li.appendChild(when);
      list.appendChild(li);
    });
  }

  // Partner networks' alerts (their CAP feeds, polled by the server about once a minute): their own layer and
  // list, each "From <partner>: …" in the visitor's language when the partner sent it, else English. Refreshed
  // every minute; the texts go in as text, never as HTML.
  var partnerList = document.getElementById("partner-alerts");
  var partnerTitle = document.getElementById("partners-title");
  var partners = L.layerGroup().addTo(map);
  function pick(texts) {
    if (!texts) return "";
    return texts[lang] || texts.en || texts[Object.keys(texts)[0]] || "";
  }
  function renderPartners(geo) {
    partners.clearLayers();
    partnerList.textContent = "";
    var listed = {};
    var style = { color: "#6a3d9a", dashArray: "2 6", fillOpacity: 0.08 };
    geo.features.forEach(function (f) {
      var p = f.properties;
      var text = partnerList.dataset.from.replace("{partner}", p.partner) + ": " + (pick(p.headlines) || p.place);
      var popup = document.createElement("div");
      popup.textContent = text;
      var c = f.geometry.coordinates;
      var shape = f.geometry.type === "Point"
        ? L.circle([c[1], c[0]], Object.assign({ radius: p.radiusMeters }, style))
        : L.geoJSON(f, { style: function () { return style; } });
      shape.bindPopup(popup).addTo(partners);
      if (listed[p.id]) return;
      listed[p.id] = true;
      var li = document.createElement("li");
      li.className = "alert partner";
      li.dataset.id = p.id;
      var strong = document.createElement("strong");
      strong.textContent = text;
      var when = document.createElement("span");
      when.className = "when";
      when.textContent = list.dataset.until + " " + clock(new Date(p.expiresAt));
      li.appendChild(strong);
      li.appendChild(when);
      partnerList.appendChild(li);
    });
    partnerList.hidden = partnerTitle.hidden = !geo.features.length;
  }
  function refreshPartners() {
    fetch("/api/v1/partner-alerts").then(function (r) { return r.json(); }).then(renderPartners).catch(function () { /* offline: keep what is shown */ });
  }
  if (partnerList) {
    refreshPartners();
    setInterval(refreshPartners, 60000);
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
