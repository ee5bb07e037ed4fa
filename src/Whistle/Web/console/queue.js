// The live queue: open sightings on a map and a list, kept current over SignalR (/hubs/sightings);
// a new report beeps unless the dispatcher muted the sound (remembered in this browser).
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var OPEN = ["new", "verifying", "confirmed"];
  var list = document.getElementById("queue");
  var errorBox = document.getElementById("queue-error");
  var live = document.getElementById("live");
  var sound = document.getElementById("sound");
  var muted = localStorage.getItem("whistle.muted") === "1";
  var known = {};  // id -> summary
  var markers = {};
  var expanded = {}; // ids whose reports the dispatcher opened

  // A sighting's merged reports, loaded when its card is opened (and again when it changes).
  async function reports(s, box) {
    var res = await C.api("GET", "/api/v1/sightings/" + s.id);
    box.textContent = "";
    if (!res.ok) { box.appendChild(C.el("li", { className: "form-error", text: res.problem.detail || C.t("c.error.generic") })); return; }
    res.data.reports.forEach(function (r) {
      var facts = [C.time(r.observedAt), r.placeText, r.agents != null ? "agents: " + r.agents : null,
        r.vehicles != null ? "vehicles: " + r.vehicles : null, r.text].filter(Boolean).join(" · ");
      box.appendChild(C.el("li", { text: facts }));
    });
  }

  function showSound() { sound.setAttribute("aria-pressed", muted ? "false" : "true"); }
  showSound();
  sound.addEventListener("click", function () {
    muted = !muted;
    localStorage.setItem("whistle.muted", muted ? "1" : "0");
    showSound();
  });

  var mapEl = document.getElementById("queue-map");
  var map = L.map(mapEl).setView([44.9778, -93.265], 11);
  fetch("/api/v1/zones").then(function (r) { return r.json(); }).then(function (geo) {
    var zones = L.geoJSON(geo, { style: { color: "#0b4f8a", weight: 1, fillOpacity: 0.02 }, interactive: false }).addTo(map);
    if (!Object.keys(known).length && zones.getBounds().isValid()) map.fitBounds(zones.getBounds());
  }).catch(function () { });

  function render() {
    var open = Object.values(known).filter(function (s) { return OPEN.indexOf(s.state) >= 0; })
      .sort(function (a, b) { return new Date(b.lastReportAt) - new Date(a.lastReportAt); });
    list.textContent = "";
    if (!open.length) list.appendChild(C.el("li", { className: "none", text: C.t("c.queue.none") }));
    open.forEach(function (s) {
      var link = C.el("a", { href: "/console/sightings/" + s.id, text: C.activity(s.activity) + (s.placeText ? " — " + s.placeText : "") });
      var box = C.el("ol", { className: "merged" });
      var details = C.el("details", {}, [C.el("summary", { text: C.t("c.reports.title") + " (" + s.reportCount + ")" }), box]);
      if (expanded[s.id]) { details.open = true; reports(s, box); }
      details.addEventListener("toggle", function () {
        if (details.open) { expanded[s.id] = true; reports(s, box); } else delete expanded[s.id];
      });
      list.appendChild(C.el("li", { className: "card state-" + s.state, "data-id": s.id }, [
        link,
        C.el("span", { className: "state", text: C.state(s.state) }),
        C.el("span", { className: "meta", text: s.reportCount + " " + C.t("c.reports") + " · " + C.time(s.lastReportAt) }),
        details,
      ]));
    });
    Object.keys(markers).forEach(function (id) {
      if (!known[id] || OPEN.indexOf(known[id].state) < 0) { map.removeLayer(markers[id]); delete markers[id]; }
    });
    open.forEach(function (s) {
      if (s.lat == null) return;
      var m = markers[s.id];
      if (!m) {
        m = markers[s.id] = L.circleMarker([s.lat, s.lon], { radius: 9, color: "#8a1c0b", weight: 3, fillOpacity: 0.5 }).addTo(map);
        m.on("click", function () { location.href = "/console/sightings/" + s.id; });
      }
      m.setLatLng([s.lat, s.lon]);
      m.bindTooltip(Object.assign(document.createElement("span"), { textContent: C.activity(s.activity) + " · " + C.state(s.state) + " · " + s.reportCount + " " + C.t("c.reports") }));
    });
  }

  async function load() {
    var res = await C.api("GET", "/api/v1/sightings");
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    errorBox.textContent = "";
    res.data.forEach(function (s) { known[s.id] = s; });
    render();
  }

  var hub = C.hub("/hubs/sightings");
  hub.on("sighting", function (s) {
    var before = known[s.id];
    known[s.id] = s;
    if ((!before || s.reportCount > before.reportCount) && !muted) C.beep();
    render();
  });
  hub.onreconnecting(function () { live.textContent = C.t("c.reconnecting"); live.className = "live off"; });
  hub.onreconnected(function () { live.textContent = C.t("c.live"); live.className = "live on"; load(); });
  hub.start().then(function () {
    live.textContent = C.t("c.live");
    live.className = "live on";
    document.body.dataset.live = "true";
    return load();
  }).catch(function () { live.textContent = C.t("c.error.network"); load(); });
})();
