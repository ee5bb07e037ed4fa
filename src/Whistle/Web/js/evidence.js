// The /evidence page (issue 15 §1): a bystander picks or records photos, videos and sound; each file is sealed on the
// phone (SHA-256, read in slices and hashed with hash-wasm, never the whole file in memory) and the hash shown; the
// submission is declared (POST /api/v1/submissions) and each file sent with tus (tus-js-client, resumable: after a lost
// connection it continues where it stopped, after a reload from the copy kept in IndexedDB, Web/js/evidence-queue.js);
// the receipt shows the code to keep and the phone's hash beside the network's. Everything from outside (file names,
// the API's words) is set as text, never as markup.
(function () {
  "use strict";
  var form = document.getElementById("evidence");
  if (!form) return;
  var W = JSON.parse(document.getElementById("ev-words").textContent);
  var d = form.dataset;
  var maxFiles = Number(d.maxFiles) || 10, maxBytes = Number(d.maxBytes) || 2147483648;
  var Q = window.WhistleEvidenceQueue;
  var SLICE = 4 * 1024 * 1024, CHUNK = 2 * 1024 * 1024;
  var list = document.getElementById("files");
  var status = document.getElementById("ev-status");
  var summary = document.getElementById("form-error");
  var send = document.getElementById("send");
  var progress = document.getElementById("progress"), uploads = document.getElementById("uploads");
  var receipt = document.getElementById("receipt"), receipts = document.getElementById("receipts");
  var picked = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  // A name as it may be shown and sent: no control or direction-override characters, at most 200 characters.
  function clean(name) {
    return String(name || "").replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "").slice(0, 200) || "file";
  }
  function sizeText(n) {
    var units = [["gigabyte", 1e9], ["megabyte", 1e6], ["kilobyte", 1e3]];
    for (var i = 0; i < units.length; i++) {
      if (n >= units[i][1]) {
        try { return new Intl.NumberFormat(d.lang, { style: "unit", unit: units[i][0], maximumFractionDigits: 1 }).format(n / units[i][1]); }
        catch (e) { break; }
      }
    }
    try { return new Intl.NumberFormat(d.lang, { style: "unit", unit: "byte" }).format(n); } catch (e) { return String(n); }
  }
  function say(text, ok) {
    status.textContent = text;
    status.className = ok ? "notice ok" : "notice";
    status.hidden = !text;
  }
  function fail(text) { summary.textContent = text; summary.hidden = false; summary.focus(); }
  function isMedia(type) { return /^(image|video|audio)\//.test(type || ""); }

  // ---- Sealing: SHA-256 over slices, one file at a time. --------------------------------------------------------
  var hashing = Promise.resolve();
  function toHex(buf) { return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ("0" + b.toString(16)).slice(-2); }).join(""); }
  function sha256(file, onProgress) {
    function viaWebCrypto() {
      // Only for small files: Web Crypto has no streaming digest, so the whole file would be in memory.
      if (file.size > 64 * 1024 * 1024 || !(window.crypto && crypto.subtle)) return Promise.reject(new Error("no hasher"));
      return file.arrayBuffer().then(function (b) { return crypto.subtle.digest("SHA-256", b); }).then(toHex);
    }
    if (!(window.hashwasm && hashwasm.createSHA256)) return viaWebCrypto();
    return hashwasm.createSHA256().then(function (h) {
      h.init();
      var offset = 0;
      function next() {
        if (offset >= file.size) return h.digest("hex");
        var end = Math.min(offset + SLICE, file.size);
        return file.slice(offset, end).arrayBuffer().then(function (buf) {
          h.update(new Uint8Array(buf));
          offset = end;
          onProgress(offset / file.size);
          return next();
        });
      }
      return next();
    }, viaWebCrypto);
  }

  // ---- The list of files. ---------------------------------------------------------------------------------------
  function accepted() { return picked.filter(function (p) { return !p.error; }); }

  function addFiles(files) {
    var dropped = false;
    Array.prototype.forEach.call(files, function (file) {
      var item = { file: file, name: clean(file.name), type: String(file.type || "").slice(0, 100), size: file.size, sha256: null, error: null };
      if (file.size === 0) item.error = W["ev.empty"];
      else if (!isMedia(item.type)) item.error = W["ev.notMedia"];
      else if (file.size > maxBytes) item.error = W["ev.tooBig"];
      else if (accepted().length >= maxFiles) { dropped = true; return; }
      picked.push(item);
      draw(item);
      if (!item.error) {
        hashing = hashing.then(function () {
          if (picked.indexOf(item) < 0) return;
          return sha256(file, function (f) { item.meter.value = Math.round(f * 100); }).then(function (hex) {
            item.sha256 = hex;
            item.meter.hidden = true;
            item.hashText.textContent = hex;
            item.hashLabel.textContent = W["ev.fingerprint"];
          }, function () { item.error = W["ev.failed"]; item.hashLabel.textContent = ""; item.meter.hidden = true; item.message.textContent = item.error; });
        });
      }
    });
    var tooMany = document.getElementById("err-files");
    tooMany.textContent = dropped ? W["ev.tooManyFiles"].replace("{max}", String(maxFiles)) : "";
    tooMany.hidden = !dropped;
  }

  function draw(item) {
    var li = el("li", item.error ? "refused" : null);
    li.appendChild(el("span", "ev-name", item.name));
    li.appendChild(el("span", "hint", " " + sizeText(item.size)));
    item.message = el("p", "ev-error", item.error || "");
    item.message.hidden = !item.error;
    li.appendChild(item.message);
    item.hashLabel = el("span", "hint", item.error ? "" : W["ev.sealing"]);
    li.appendChild(item.hashLabel);
    item.meter = el("progress");
    item.meter.max = 100; item.meter.value = 0; item.meter.hidden = !!item.error;
    li.appendChild(item.meter);
    item.hashText = el("code", "ev-hash");
    item.hashText.translate = false;
    li.appendChild(item.hashText);
    var remove = el("button", "secondary ev-remove", W["ev.remove"]);
    remove.type = "button";
    remove.addEventListener("click", function () {
      picked.splice(picked.indexOf(item), 1);
      li.remove();
    });
    li.appendChild(remove);
    list.appendChild(li);
  }

  ["capture", "choose"].forEach(function (id) {
    var input = document.getElementById(id);
    input.addEventListener("change", function () { addFiles(input.files); input.value = ""; });
  });

  // ---- Recording in the page (MediaRecorder), where the phone can. ------------------------------------------------
  var recBox = document.getElementById("recorder"), live = document.getElementById("rec-live");
  var preview = document.getElementById("rec-preview"), recText = document.getElementById("rec-text");
  if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder) {
    recBox.hidden = false;
    var record = function (video) {
      navigator.mediaDevices.getUserMedia(video ? { audio: true, video: { facingMode: "environment" } } : { audio: true }).then(function (stream) {
        var chunks = [], rec = new MediaRecorder(stream);
        rec.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
        rec.onstop = function () {
          stream.getTracks().forEach(function (t) { t.stop(); });
          preview.srcObject = null;
          live.hidden = true; recBox.hidden = false;
          var type = String(rec.mimeType || (video ? "video/webm" : "audio/webm")).split(";")[0];
          var ext = /mp4/.test(type) ? "mp4" : /ogg/.test(type) ? "ogg" : "webm";
          var stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
          addFiles([new File(chunks, "recording-" + stamp + "." + ext, { type: type, lastModified: Date.now() })]);
        };
        preview.hidden = !video;
        if (video) { preview.srcObject = stream; preview.play().catch(function () { }); }
        recText.textContent = W["ev.recording"];
        recBox.hidden = true; live.hidden = false;
        document.getElementById("rec-stop").onclick = function () { if (rec.state !== "inactive") rec.stop(); };
        rec.start(1000);
      }, function () { recText.textContent = W["ev.noRecorder"]; live.hidden = false; document.getElementById("rec-stop").hidden = true; });
    };
    document.getElementById("rec-audio").addEventListener("click", function () { record(false); });
    document.getElementById("rec-video").addEventListener("click", function () { record(true); });
  }

  // ---- Sending. ------------------------------------------------------------------------------------------------------
  function value(name) { var e = form.elements[name]; return e && e.value.trim() ? e.value.trim() : null; }
  function fields() {
    var when = value("observedAt");
    var consent = form.querySelector("input[name=consent]:checked");
    return {
      language: d.lang,
      what: value("what"),
      place: value("place"),
      lat: null, lon: null,
      observedAt: when ? when + (when.length === 16 ? ":00" : "") + d.offset : null,
      alertId: d.alert || null,
      sightingId: d.sighting || null,
      consent: consent ? consent.value : null,
      blurRequested: document.getElementById("blur").checked,
      contact: value("contact"),
    };
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    window.WhistleForms.clear(form);
    summary.hidden = true;
    var files = accepted(), body = fields(), wrong = false;
    if (!files.length) { window.WhistleForms.showError("files", [W["ev.err.files"]]); wrong = true; }
    else if (files.some(function (f) { return !f.sha256; })) { window.WhistleForms.showError("files", [W["ev.err.sealing"]]); wrong = true; }
    if (!body.consent) { window.WhistleForms.showError("consent", [W["ev.err.consent"]]); wrong = true; }
    if (wrong) { (document.querySelector("[aria-invalid=true]") || summary).scrollIntoView({ block: "center" }); return; }
    var rec = {
      savedAt: Date.now(), body: body, submission: null,
      files: files.map(function (f) { return { file: f.file, name: f.name, type: f.type, size: f.size, sha256: f.sha256, fileId: null, done: false }; }),
    };
    send.disabled = true;
    send.textContent = W["ev.sending"];
    // Kept on the phone first: if the network or the page goes away, the sending continues from this copy.
    var kept = Q ? Q.add(rec).then(function (id) { rec.id = id; }, function () { /* no room: it is sent from memory only */ }) : Promise.resolve();
    kept.then(function () {
      form.hidden = true;
      pending.push(rec);
      drain();
    });
  });

  // What is kept of a sending (no page elements: they cannot be stored).
  function plain(rec) {
    return {
      id: rec.id, savedAt: rec.savedAt, body: rec.body, submission: rec.submission,
      files: rec.files.map(function (f) { return { file: f.file, name: f.name, type: f.type, size: f.size, sha256: f.sha256, fileId: f.fileId, done: f.done }; }),
    };
  }
  function save(rec) { return rec.id && Q ? Q.put(plain(rec)).catch(function () { }) : Promise.resolve(); }
  function forget(rec) { return rec.id && Q ? Q.remove(rec.id).catch(function () { }) : Promise.resolve(); }

  // Resolves when the phone says it is online again (or after a while, in case it never says).
  function whenOnline(ms) {
    return new Promise(function (resolve) {
      var timer = setTimeout(done, navigator.onLine ? ms || 5000 : 60000);
      function done() { clearTimeout(timer); window.removeEventListener("online", done); resolve(); }
      window.addEventListener("online", done);
    });
  }

  function Refused(text, back) { this.text = text; this.back = back; }

  function declare(rec) {
    if (rec.submission) return Promise.resolve();
    var b = rec.body, payload = {
      language: b.language, what: b.what, place: b.place, lat: b.lat, lon: b.lon, observedAt: b.observedAt,
      alertId: b.alertId, sightingId: b.sightingId, consent: b.consent, blurRequested: b.blurRequested, contact: b.contact,
      files: rec.files.map(function (f) { return { name: f.name, type: f.type, size: f.size, sha256: f.sha256 }; }),
    };
    return fetch("/api/v1/submissions", {
      method: "POST", headers: { "content-type": "application/json", accept: "application/json", "accept-language": d.lang },
      body: JSON.stringify(payload),
    }).then(function (r) {
      if (r.status === 201) return r.json().then(function (s) {
        rec.submission = { id: s.id, secret: s.uploadSecret, receiptCode: s.receiptCode };
        // Each declared file's id: the one with the same hash and size (then in order, for two copies of one file).
        var left = (s.files || []).slice();
        rec.files.forEach(function (f) {
          var i = left.findIndex(function (x) { return x.sha256 === f.sha256 && x.size === f.size; });
          var match = i >= 0 ? left.splice(i, 1)[0] : null;
          f.fileId = match ? match.id : null;
        });
        return save(rec);
      });
      if (r.status === 429 || r.status >= 500) {
        say(r.status === 507 ? W["ev.full"] : r.status === 429 ? W["ev.tooMany"] : W["ev.failed"]);
        var wait = Number(r.headers.get("retry-after")) || 30;
        return new Promise(function (res) { setTimeout(res, Math.min(wait, 600) * 1000); }).then(function () { return declare(rec); });
      }
      return r.json().catch(function () { return {}; }).then(function (problem) {
        var refused = new Refused(problem.detail || problem.title || W["ev.failed"], true);
        refused.problem = problem;
        throw refused;
      });
    }, function () {
      // No network: it waits on the phone and goes when the phone is back online.
      showSaved(rec);
      return whenOnline().then(function () { return declare(rec); });
    });
  }

  function showSaved(rec) {
    say(rec.id ? W["ev.saved"] : W["ev.failed"]);
    status.dataset.saved = "true";
  }

  function row(f) {
    if (f.row) return f.row;
    var li = el("li");
    li.appendChild(el("span", "ev-name", f.name));
    f.meter = el("progress");
    f.meter.max = 100; f.meter.value = f.done ? 100 : 0;
    li.appendChild(f.meter);
    f.percent = el("span", "ev-percent", f.done ? "100%" : "0%");
    li.appendChild(f.percent);
    uploads.appendChild(li);
    f.row = li;
    return li;
  }

  function showProgress(rec) {
    progress.hidden = false;
    rec.files.forEach(row);
  }

  var waiting = false;
  function lost() { if (!waiting) { waiting = true; say(W["ev.waiting"]); } }
  function back() { if (waiting) { waiting = false; say(W["ev.resumed"], true); } }
  window.addEventListener("offline", function () { if (busy) lost(); });

  function uploadOne(rec, f) {
    return new Promise(function (resolve, reject) {
      var s = rec.submission, lastSent = -1;
      var upload = new tus.Upload(f.file, {
        endpoint: "/api/v1/uploads",
        chunkSize: CHUNK,
        retryDelays: [0, 1000, 3000, 5000, 10000],
        removeFingerprintOnSuccess: true,
        storeFingerprintForResuming: true,
        // One upload per declared file: a later submission of the same file never resumes this one's URL.
        fingerprint: function () { return Promise.resolve("whistle-evidence-" + s.id + "-" + f.fileId); },
        metadata: { submission: s.id, secret: s.secret, file: String(f.fileId), filename: f.name, filetype: f.type, sha256: f.sha256 },
        onProgress: function (sent, total) {
          var pct = total ? Math.floor(sent * 100 / total) : 0;
          f.meter.value = pct;
          f.percent.textContent = pct + "%";
          f.row.dataset.sent = String(sent);
          if (sent > lastSent && lastSent >= 0 && navigator.onLine) back();
          lastSent = sent;
        },
        onShouldRetry: function (err) {
          var st = err.originalResponse ? err.originalResponse.getStatus() : 0;
          if (st >= 400 && st < 500 && st !== 409 && st !== 423 && st !== 429 && st !== 408) return false;
          lost();
          return true;
        },
        onError: function (err) {
          var st = err.originalResponse ? err.originalResponse.getStatus() : 0;
          if (st >= 400 && st < 500 && st !== 409 && st !== 423 && st !== 429 && st !== 408) {
            var text = W["ev.failed"];
            try { var p = JSON.parse(err.originalResponse.getBody() || "{}"); text = p.title ? p.title + (p.detail ? ": " + p.detail : "") : text; } catch (e) { }
            reject(new Refused(st === 460 ? W["ev.mismatch"] + " " + text : text, false));
            return;
          }
          // The network is gone (or the server busy): wait for it, then continue from where the server stopped.
          lost();
          whenOnline(st === 507 ? 60000 : 5000).then(function () { upload.start(); });
        },
        onSuccess: function () {
          f.meter.value = 100;
          f.percent.textContent = "100%";
          back();
          resolve();
        },
      });
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      }, function () { upload.start(); });
    });
  }

  function uploadAll(rec) {
    return rec.files.reduce(function (chain, f) {
      return chain.then(function () {
        if (f.done) return;
        if (!f.file || !f.fileId) throw new Refused(W["ev.failed"], false);
        return uploadOne(rec, f).then(function () { f.done = true; return save(rec); });
      });
    }, Promise.resolve());
  }

  function showReceipt(rec) {
    var s = rec.submission;
    var box = el("div", "ev-receipt");
    var code = el("p", "ev-code", s.receiptCode);
    code.translate = false;
    box.appendChild(code);
    var copy = el("button", "secondary", receipts.dataset.copy);
    copy.type = "button";
    copy.addEventListener("click", function () {
      if (navigator.clipboard) navigator.clipboard.writeText(s.receiptCode).then(function () { copy.textContent = W["ev.copied"]; }, function () { });
    });
    box.appendChild(copy);
    var ul = el("ul", "ev-files");
    box.appendChild(ul);
    receipts.appendChild(box);
    progress.hidden = true;
    status.hidden = true;
    receipt.hidden = false;
    receipt.focus();

    function drawFiles(server) {
      ul.textContent = "";
      rec.files.forEach(function (f, i) {
        var theirs = server && (server.files || []).filter(function (x) { return x.id === f.fileId; })[0] || (server && (server.files || [])[i]);
        var li = el("li");
        li.appendChild(el("span", "ev-name", f.name));
        var dl = el("dl", "ev-hashes");
        dl.appendChild(el("dt", null, W["ev.phoneHash"]));
        var mine = el("dd"); mine.appendChild(el("code", "ev-hash phone", f.sha256)); dl.appendChild(mine);
        dl.appendChild(el("dt", null, W["ev.serverHash"]));
        var net = el("dd"); net.appendChild(el("code", "ev-hash server", theirs && theirs.sha256 ? theirs.sha256 : "")); dl.appendChild(net);
        li.appendChild(dl);
        var same = theirs && theirs.sha256 && theirs.sha256.toLowerCase() === f.sha256;
        li.appendChild(el("p", same ? "ev-match" : theirs && theirs.sha256 ? "ev-mismatch" : "hint",
          same ? "✓ " + W["ev.match"] : theirs && theirs.sha256 ? "✗ " + W["ev.mismatch"] : W["ev.pending"]));
        ul.appendChild(li);
      });
    }
    drawFiles(null);
    return fetch("/api/v1/submissions/" + encodeURIComponent(s.id), { headers: { accept: "application/json", "x-upload-secret": s.secret } })
      .then(function (r) { return r.ok ? r.json() : null; }, function () { return null; })
      .then(function (server) { if (server) drawFiles(server); });
  }

  // Everything waiting on this phone goes, one submission at a time (and one sender across tabs).
  var pending = [], busy = false;
  function drain() {
    if (busy) return;
    busy = true;
    var run = function () {
      var loaded = Q ? Q.all().catch(function () { return []; }) : Promise.resolve([]);
      return loaded.then(function (stored) {
        stored.forEach(function (r) { if (!pending.some(function (p) { return p.id && p.id === r.id; })) pending.push(r); });
        function next() {
          var rec = pending.shift();
          if (!rec) return;
          form.hidden = true;
          showProgress(rec);
          return declare(rec).then(function () { return uploadAll(rec); }).then(function () {
            return forget(rec).then(function () { return showReceipt(rec); });
          }, function (err) {
            if (!(err instanceof Refused)) throw err;
            // Refused by the network (not a lost connection): sending it again would not help.
            return forget(rec).then(function () {
              progress.hidden = true;
              uploads.textContent = "";
              status.hidden = true;
              form.hidden = false;
              send.disabled = false;
              send.textContent = W["ev.send"];
              // The API's words (in this page's language) next to the field they are about; the rest on top.
              var unplaced = [];
              var placed = err.problem && window.WhistleForms.showProblem(err.problem, {},
                function (k) { return /^files/.test(k) ? "files" : k; }, function (m) { unplaced = unplaced.concat(m); });
              if (!placed || unplaced.length) fail(unplaced.length ? unplaced.join(" ") : err.text);
              else (document.querySelector("[aria-invalid=true]") || form).scrollIntoView({ block: "center" });
            });
          }).then(next);
        }
        return next();
      });
    };
    Promise.resolve(Q ? Q.withLock(run) : run()).catch(function () { say(W["ev.failed"]); }).then(function () {
      busy = false;
      if (pending.length) drain();
    });
  }

  // What an earlier visit left unsent goes now, or when the phone is back online.
  window.addEventListener("online", function () { if (!busy) drain(); });
  if (Q) Q.all().then(function (stored) { if (stored.length) drain(); }, function () { });
})();
