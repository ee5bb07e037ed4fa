// Every public page: installs the service worker (offline pages, queued reports) and, where Background
// Sync is missing or has not run yet, sends queued reports when the phone comes back online or on the
// next page load. Pages learn that queued reports went out from a "whistle-sent" event.
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* no service worker: pages still work online */ });

  function announce(count) {
    if (count > 0) document.dispatchEvent(new CustomEvent("whistle-sent", { detail: { count: count } }));
  }
  navigator.serviceWorker.addEventListener("message", function (e) {
    if (e.data && e.data.type === "whistle-sent") announce(e.data.count);
  });

  function flush() {
    if (!window.WhistleQueue || !navigator.onLine) return;
    window.WhistleQueue.flush().then(announce, function () { /* try again later */ });
  }
  window.addEventListener("online", flush);
  window.addEventListener("load", flush);
})();
