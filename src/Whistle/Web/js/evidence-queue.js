// What the /evidence page is sending, kept on the phone until it has arrived (issue 15 §1): the fields, each file
// (the File itself, stored by IndexedDB as a blob) with the SHA-256 the phone computed, and — once the server has
// declared it — the submission's id, upload secret and receipt code. A sending that the network or a reload
// interrupted continues from here; it is deleted when every file has arrived. Its own database ("whistle-evidence"),
// so the report queue's database (Web/js/queue.js, "whistle") is never upgraded under it.
(function (g) {
  "use strict";
  var DB = "whistle-evidence", STORE = "submissions";

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
        t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  // Resolves to the record's id.
  function add(record) { return tx("readwrite", function (s) { return s.add(record); }); }
  function put(record) { return tx("readwrite", function (s) { return s.put(record); }); }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function remove(id) { return tx("readwrite", function (s) { return s.delete(id); }); }

  // One sender at a time across this phone's tabs (where the browser has Web Locks).
  function withLock(work) {
    var locks = g.navigator && g.navigator.locks;
    return locks ? locks.request("whistle-evidence-queue", work) : work();
  }

  g.WhistleEvidenceQueue = { add: add, put: put, all: all, remove: remove, withLock: withLock };
})(self);
