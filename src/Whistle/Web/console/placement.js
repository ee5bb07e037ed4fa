// Placing a sighting before it can be alerted: look up a street, intersection, neighbourhood or landmark in the
// network's own gazetteer (GET /api/v1/places, never an outside geocoder), pick a neighbourhood, or drop a pin;
// POST /api/v1/sightings/{id}/place records who placed it and how. Open and prominent while the sighting has no
// position; a "move" control once it has one. The page reloads after a placement so the composer starts over.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin() || !C.canDispatch()) return;
  var id = document.getElementById("sighting").dataset.id;
  var section = document.getElementById("placement");
  var box = document.getElementById("placement-box");
  var title = document.getElementById("placement-title");
  var status = document.getElementById("placement-status");
  var errorBox = document.getElementById("placement-error");
  var query = document.getElementById("place-query");
  var list = document.getElementById("place-candidates");
  var none = document.getElementById("place-none");
  var zoneSelect = document.getElementById("place-zone");
  var pinGo = document.getElementById("place-pin-go");
  var map = null, pin = null, zonesGeo = null, sighting = null;

  async function place(body) {
    errorBox.textContent = "";
    var res = await C.api("POST", "/api/v1/sightings/" + id + "/place", body);
    if (!res.ok) { C.showProblem(section, res.problem, errorBox); return; }
    location.reload();
  }

  async function start() {
    var res = await C.api("GET", "/api/v1/sightings/" + id);
    if (!res.ok) return;
    sighting = res.data.sighting;
    if (!["new", "verifying", "confirmed"].includes(sighting.state)) return;
    var placed = sighting.lat != null && sighting.lon != null;
    section.hidden = false;
    title.textContent = placed ? title.dataset.placed : title.dataset.unplaced;
    status.textContent = placed ? C.t("c.placement.how." + (sighting.placedHow || "reports")) : C.t("c.placement.unplaced");
    section.classList.toggle("notice", !placed);
    box.open = !placed;
    if (box.open) openMap();
    box.addEventListener("toggle", function () { if (box.open) openMap(); });
    try {
      zonesGeo = await (await fetch("/api/v1/zones")).json();
      zonesGeo.features.slice().sort(function (a, b) { return a.properties.name.localeCompare(b.properties.name); })
        .forEach(function (f) { zoneSelect.appendChild(C.el("option", { value: String(f.properties.id), text: f.properties.name })); });
      if (map) drawZones();
    } catch (e) { }
  }

  function drawZones() {
    var layer = L.geoJSON(zonesGeo, { style: { color: "#0b4f8a", weight: 1, fillOpacity: 0.02 }, interactive: false }).addTo(map);
    if (sighting.lat == null && layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
  }

  function openMap() {
    if (map) { map.invalidateSize(); return; }
    map = L.map("place-map");
    // No default city centre: the sighting's own position, else the network's zones (fitted once they load).
    if (sighting.lat != null) map.setView([sighting.lat, sighting.lon], 15); else map.setView([0, 0], 2);
    map.on("click", function (e) {
      if (pin) pin.setLatLng(e.latlng); else pin = L.marker(e.latlng, { keyboard: true, title: C.t("c.placement.pin.go"), alt: C.t("c.placement.pin.go") }).addTo(map);
      pinGo.disabled = false;
    });
    if (zonesGeo) drawZones();
  }

  document.getElementById("place-search").addEventListener("submit", async function (e) {
    e.preventDefault();
    errorBox.textContent = "";
    var q = query.value.trim();
    if (!q) return;
    var res = await C.api("GET", "/api/v1/places?q=" + encodeURIComponent(q));
    list.textContent = "";
    if (!res.ok) { C.showProblem(section, res.problem, errorBox); return; }
    none.hidden = res.data.candidates.length > 0;
    res.data.candidates.forEach(function (c, i) {
      var words = c.label + " · " + C.t("c.placement.kind." + c.kind) + (c.zone && c.kind !== "zone" ? " · " + c.zone : "");
      var button = C.el("button", { type: "button", className: "secondary", text: C.t("c.placement.pick") });
      button.addEventListener("click", function () { place({ gazetteer: { query: res.data.query, index: i } }); });
      list.appendChild(C.el("li", { "data-kind": c.kind }, [C.el("span", { text: words + " " }), button]));
    });
  });
  document.getElementById("place-zone-go").addEventListener("click", function () {
    if (zoneSelect.value) place({ zoneId: +zoneSelect.value });
  });
  pinGo.addEventListener("click", function () {
    if (pin) { var ll = pin.getLatLng(); place({ point: { lat: ll.lat, lon: ll.lng } }); }
  });

  start();
})();
