// The offline report queue, shared by the pages and the service worker (importScripts): reports that could
// not be sent wait in IndexedDB and are sent, oldest first, when the phone is back online. A Web Lock
// (where there is one) makes sure the page and the service worker never send the same report twice.
(function (g) {
  "use strict";
  var DB = "whistle", STORE = "reports", URL = "/api/v1/reports";

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && "result" in result ? result.result : undefined); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function add(body) { return tx("readwrite", function (s) { return s.add({ body: body, savedAt: Date.now() }); }); }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function remove(id) { return tx("readwrite", function (s) { return s.delete(id); }); }

  function withLock(work) {
    var locks = g.navigator && g.navigator.locks;
    return locks ? locks.request("whistle-report-queue", work) : work();
  }

  // Sends what is queued. Resolves to the number sent; stops at the first network failure (still offline).
  // A report the server refuses as invalid (4xx other than 429) is dropped: sending it again would not help.
  function flush() {
    return withLock(function () {
      return all().then(function (items) {
        var sent = 0;
        return items.reduce(function (chain, item) {
          return chain.then(function (go) {
            if (!go) return false;
            return fetch(URL, { method: "POST", headers: { "content-type": "application/json" }, body: item.body })
              .then(function (r) {
                if (r.ok) { sent++; return remove(item.id).then(function () { return true; }); }
                if (r.status >= 400 && r.status < 500 && r.status !== 429 && r.status !== 408) return remove(item.id).then(function () { return true; });
                return false;
              }, function () { return false; });
          });
        }, Promise.resolve(true)).then(function () { return sent; });
      });
    });
  }

  g.WhistleQueue = { add: add, all: all, flush: flush };
})(self);
