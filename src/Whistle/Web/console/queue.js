// The live queue: open sightings on a map and a list, kept current over SignalR (/hubs/sightings);
// a new report sounds unless the dispatcher muted it (remembered in this browser). A browser that blocks the sound
// until the page is used (autoplay rules) gets an "Enable sound" button; the choice is kept for the session.
// The list comes a page at a time ("Load more": nothing is cut off), in the API's order (what needs a human
// first); surges — reports held past the intake budget — head it, one card each, opened page by page.
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
  var surges = {};   // id -> surge summary (open ones)
  var nextCursor = null;
  var more = C.el("button", { type: "button", className: "secondary", id: "queue-more", text: C.t("c.intake.more") });
  more.hidden = true;
  list.parentNode.appendChild(more);
  var RANK = { "new": 0, "verifying": 1, "confirmed": 2 };

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (m, k) { return values[k] != null ? String(values[k]) : m; });
  }
  var zonesGeo = null;
  // Neighbourhood first: "Cedar-Riverside · Checkpoint · 3 reports"; a sighting with no point says so.
  function heading(s) {
    var zone = C.zoneAt(zonesGeo, s.lat, s.lon);
    return (zone || C.t("c.place.none")) + " · " + C.activity(s.activity) + " · " + C.plural("c.n.reports", s.reportCount);
  }
  // The API's order: state, trusted first, most distinct sources, newest.
  function order(a, b) {
    return (RANK[a.state] - RANK[b.state]) || ((b.trusted ? 1 : 0) - (a.trusted ? 1 : 0))
      || (b.sourceCount - a.sourceCount) || (new Date(b.lastReportAt) - new Date(a.lastReportAt));
  }

  // A surge's held reports, a page at a time; each can be promoted to the queue.
  async function surgeReports(g, box, cursor) {
    var res = await C.api("GET", "/api/v1/surges/" + g.id + "?limit=50" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    if (!cursor) box.textContent = "";
    if (!res.ok) { box.appendChild(C.el("li", { className: "form-error", text: res.problem.detail || C.t("c.error.generic") })); return; }
    res.data.reports.forEach(function (r) {
      var facts = [C.time(r.receivedAt), C.activity(r.activity), r.placeText, r.text].filter(Boolean).join(" · ");
      var item = C.el("li", { text: facts + " " });
      if (r.sightingId) item.appendChild(C.el("span", { className: "meta", text: C.t("c.intake.promoted") }));
      else {
        var promote = C.el("button", { type: "button", className: "secondary", text: C.t("c.intake.promote") });
        promote.addEventListener("click", async function () {
          promote.disabled = true;
          var p = await C.api("POST", "/api/v1/surges/" + g.id + "/reports/" + r.id + "/promote");
          if (!p.ok) { promote.disabled = false; C.showProblem(document, p.problem, errorBox); return; }
          known[p.data.id] = p.data;
          promote.replaceWith(C.el("span", { className: "meta", text: C.t("c.intake.promoted") }));
          render();
        });
        item.appendChild(promote);
      }
      box.appendChild(item);
    });
    if (res.data.nextCursor) {
      var next = C.el("li", {}, [C.el("button", { type: "button", className: "secondary", text: C.t("c.intake.more") })]);
      next.firstChild.addEventListener("click", function () { next.remove(); surgeReports(g, box, res.data.nextCursor); });
      box.appendChild(next);
    }
  }

  function surgeCard(g) {
    var minutes = Math.max(1, Math.round((new Date(g.lastReportAt) - new Date(g.firstReportAt)) / 60000));
    var place = g.area === "network" ? C.t("c.intake.surge.network") : (g.placeText || (g.lat != null ? g.lat.toFixed(3) + ", " + g.lon.toFixed(3) : "?"));
    var box = C.el("ol", { className: "merged" });
    var details = C.el("details", {}, [C.el("summary", { text: C.t("c.intake.surge.read") }), box]);
    if (expanded[g.id]) { details.open = true; surgeReports(g, box); }
    details.addEventListener("toggle", function () {
      if (details.open) { expanded[g.id] = true; surgeReports(g, box); } else delete expanded[g.id];
    });
    var dismiss = C.el("button", { type: "button", className: "secondary", text: C.t("c.intake.dismiss") });
    dismiss.addEventListener("click", async function () {
      dismiss.disabled = true;
      var res = await C.api("POST", "/api/v1/surges/" + g.id + "/dismiss");
      if (!res.ok) { dismiss.disabled = false; C.showProblem(document, res.problem, errorBox); return; }
      delete surges[g.id];
      render();
    });
    return C.el("li", { className: "card surge", "data-surge": g.id }, [
      C.el("strong", { text: fill(C.t("c.intake.surge"), { reports: C.plural("c.n.reports", g.reportCount), sources: C.plural("c.n.sources", g.sourceCount), minutes: minutes, place: place }) }),
      C.el("span", { className: "meta", text: C.t("c.intake.surge.hint") }),
      details,
      dismiss,
    ]);
  }

  // A sighting's merged reports, loaded when its card is opened (and again when it changes).
  async function reports(s, box) {
    var res = await C.api("GET", "/api/v1/sightings/" + s.id);
    box.textContent = "";
    if (!res.ok) { box.appendChild(C.el("li", { className: "form-error", text: res.problem.detail || C.t("c.error.generic") })); return; }
    res.data.reports.forEach(function (r) {
      var facts = [C.time(r.observedAt), r.placeText, r.agents != null ? C.t("report.agents") + ": " + r.agents : null,
        r.vehicles != null ? C.t("report.vehicles") + ": " + r.vehicles : null, r.text].filter(Boolean).join(" · ");
      box.appendChild(C.el("li", { text: facts }));
    });
  }

  // ---- sound: an audio file (the browser's autoplay rule applies to it, and tells us when it blocks it) ----
  var SOUND_OK = "whistle.sound";
  var chime = new Audio("/console/new-report.wav");
  var enable = document.getElementById("sound-enable");
  var blocked = document.getElementById("sound-blocked");
  function unlock() {
    // Inside a click: play once silently, which lets this page play later sounds without one.
    chime.muted = true;
    var p = chime.play();
    var done = function () { chime.pause(); chime.currentTime = 0; chime.muted = false; };
    if (p && p.then) p.then(done, function () { chime.muted = false; }); else done();
  }
  function ding() {
    if (muted) return;
    var p;
    try { p = chime.play(); } catch (e) { return; }
    if (p && p.catch) p.catch(function (e) {
      if (e && e.name === "NotAllowedError") { enable.hidden = false; blocked.hidden = false; }
    });
  }
  enable.addEventListener("click", function () {
    sessionStorage.setItem(SOUND_OK, "1");
    unlock();
    enable.hidden = true;
    blocked.hidden = true;
  });
  // Chosen earlier in this session (before a reload): the first touch of the page unlocks it again.
  if (sessionStorage.getItem(SOUND_OK) === "1") {
    var once = function () { unlock(); document.removeEventListener("pointerdown", once, true); document.removeEventListener("keydown", once, true); };
    document.addEventListener("pointerdown", once, true);
    document.addEventListener("keydown", once, true);
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
    zonesGeo = geo;
    render();
    var zones = L.geoJSON(geo, { style: { color: "#0b4f8a", weight: 1, fillOpacity: 0.02 }, interactive: false }).addTo(map);
    if (!Object.keys(known).length && zones.getBounds().isValid()) map.fitBounds(zones.getBounds());
  }).catch(function () { });

  function render() {
    var open = Object.values(known).filter(function (s) { return OPEN.indexOf(s.state) >= 0; }).sort(order);
    list.textContent = "";
    Object.values(surges).filter(function (g) { return g.state === "open"; }).forEach(function (g) { list.appendChild(surgeCard(g)); });
    if (!open.length) list.appendChild(C.el("li", { className: "none", text: C.t("c.queue.none") }));
    open.forEach(function (s) {
      var link = C.el("a", { href: "/console/sightings/" + s.id, text: heading(s) });
      var box = C.el("ol", { className: "merged" });
      var details = C.el("details", {}, [C.el("summary", { text: C.t("c.reports.title") + " (" + s.reportCount + ")" }), box]);
      var badge = s.escalationStopped ? C.el("span", { className: "badge warn", text: C.t("c.badge.nobody") })
        : s.escalations > 0 ? C.el("span", { className: "badge", text: C.t("c.badge.escalated") }) : null;
      if (expanded[s.id]) { details.open = true; reports(s, box); }
      details.addEventListener("toggle", function () {
        if (details.open) { expanded[s.id] = true; reports(s, box); } else delete expanded[s.id];
      });
      list.appendChild(C.el("li", { className: "card state-" + s.state, "data-id": s.id }, [
        link,
        C.el("span", { className: "state", text: C.state(s.state) }),
        s.trusted ? C.el("span", { className: "trusted", text: C.t("c.intake.trusted") }) : null,
        badge,
        s.placeText ? C.el("span", { className: "place", text: s.placeText }) : null,
        C.el("span", { className: "meta", text: C.plural("c.n.sources", s.sourceCount) + " · " + C.time(s.lastReportAt) }),
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
      m.bindTooltip(Object.assign(document.createElement("span"), { textContent: heading(s) + " · " + C.state(s.state) }));
    });
  }

  // The first page (with the open surges), or the next one after the cursor.
  async function load(cursor) {
    var res = await C.api("GET", "/api/v1/sightings?limit=50" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    errorBox.textContent = "";
    res.data.items.forEach(function (s) { known[s.id] = s; });
    if (!cursor) { surges = {}; res.data.surges.forEach(function (g) { surges[g.id] = g; }); }
    nextCursor = res.data.nextCursor;
    // Past the open sightings the pages hold only closed ones, which this list does not show.
    var lastPageItem = res.data.items[res.data.items.length - 1];
    more.hidden = !nextCursor || !lastPageItem || OPEN.indexOf(lastPageItem.state) < 0;
    render();
  }
  more.addEventListener("click", function () { if (nextCursor) load(nextCursor); });

  var hub = C.hub("/hubs/sightings");
  hub.on("sighting", function (s) {
    var before = known[s.id];
    known[s.id] = s;
    if (!before || s.reportCount > before.reportCount) ding();
    render();
  });
  hub.on("surge", function (g) {
    if (g.state !== "open") delete surges[g.id];
    else { if (!surges[g.id]) ding(); surges[g.id] = g; }
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
