// Whistle's service worker (scope /): keeps the public pages and what they need for when the phone has no
// network, and sends reports queued offline (Web/js/queue.js) when the phone is back online — through
// Background Sync where the browser has it; the pages also ask on the `online` event and on load.
importScripts("/js/queue.js");

var CACHE = "whistle-v4";
var SHELL = ["/", "/report", "/rights", "/evidence", "/js/evidence.js", "/js/evidence-queue.js",
  "/lib/tus-js-client/tus.min.js", "/lib/hash-wasm/sha256.umd.min.js", "/css/site.css", "/js/home.js", "/js/forms.js", "/js/report.js", "/js/queue.js", "/js/pwa.js",
  "/lib/leaflet/leaflet.js", "/js/map-words.js", "/lib/leaflet/leaflet.css", "/lib/leaflet/images/marker-icon.png",
  "/lib/leaflet/images/marker-icon-2x.png", "/lib/leaflet/images/marker-shadow.png",
  "/manifest.webmanifest", "/icons/icon.svg", "/icons/icon-192.png", "/site/zones.geojson"];

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== CACHE; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// Network first (fresh alerts, the visitor's language), the cached copy when there is no network.
// Only GETs of our own origin; never the staff console, the API's private parts or the live stream.
self.addEventListener("fetch", function (e) {
  var req = e.request;
  var url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) return;
  var cacheable = req.mode === "navigate" ? (url.pathname === "/" || url.pathname === "/report" || url.pathname === "/rights" || url.pathname === "/evidence")
    : /^\/(css|js|lib|icons)\//.test(url.pathname) || url.pathname === "/site/zones.geojson" || url.pathname === "/api/v1/alerts/active"
      || url.pathname === "/api/v1/partner-alerts"
      || url.pathname === "/manifest.webmanifest";
  if (!cacheable) return;
  e.respondWith(fetch(req).then(function (res) {
    if (res.ok) {
      var copy = res.clone();
      caches.open(CACHE).then(function (c) { return c.put(req, copy); });
    }
    return res;
  }, function () {
    return caches.match(req).then(function (hit) {
      return hit || caches.match(req, { ignoreSearch: true }).then(function (any) { return any || Response.error(); });
    });
  }));
});

function sendQueued() {
  return self.WhistleQueue.flush().then(function (sent) {
    if (sent > 0) return self.clients.matchAll({ includeUncontrolled: true, type: "window" }).then(function (clients) {
      clients.forEach(function (c) { c.postMessage({ type: "whistle-sent", count: sent }); });
    });
  });
}

self.addEventListener("sync", function (e) {
  if (e.tag === "whistle-reports") e.waitUntil(sendQueued());
});

self.addEventListener("message", function (e) {
  if (e.data === "flush") e.waitUntil(sendQueued());
});

// Web push: alerts (and the sign-up code) arrive as a JSON payload { title, body, url, ... } and are shown as notifications.
self.addEventListener("push", function (e) {
  var data = {};
  try { data = e.data ? e.data.json() : {}; } catch (err) { data = { body: e.data ? e.data.text() : "" }; }
  e.waitUntil(self.registration.showNotification(data.title || "Whistle", {
    body: data.body || "", icon: "/icons/icon-192.png", tag: data.rootAlertId || data.alertId || undefined, data: { url: data.url || "/" },
  }));
});

self.addEventListener("notificationclick", function (e) {
  e.notification.close();
  var url = (e.notification.data && e.notification.data.url) || "/";
  e.waitUntil(self.clients.openWindow(url));
});
