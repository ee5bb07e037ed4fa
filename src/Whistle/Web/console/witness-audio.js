// A witness statement recorded as audio on the incident page (issue 13 §3): record with the browser's MediaRecorder
// (or choose an audio file where there is none, or the microphone is refused), then, when the statement is saved,
// the recording is uploaded as evidence of the incident through the ordinary evidence upload and the statement
// points to it (incident.js calls WhistleWitnessAudio.upload). Also the player of a statement's recording: fetched
// with the staff token only when asked for (each download is in the custody log), played from a blob: URL.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  function $(x) { return document.getElementById(x); }
  var box = $("witness-audio");
  var rec = $("wa-record"), stop = $("wa-stop"), discard = $("wa-discard"), status = $("wa-status"), preview = $("wa-preview");
  var fileBox = $("wa-file-box"), fileInput = $("wa-file");
  var canRecord = !!(window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  var recorder = null, stream = null, chunks = [], blob = null, startedAt = null, uploaded = null;

  function state(s) { if (box) box.dataset.audio = s; }
  function ext(type) { return /ogg/.test(type) ? "ogg" : /mp4|m4a|aac/.test(type) ? "m4a" : /wav/.test(type) ? "wav" : /mpeg/.test(type) ? "mp3" : "weba"; }
  function mimeType() {
    var types = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/ogg", "audio/mp4"];
    for (var i = 0; i < types.length; i++) if (MediaRecorder.isTypeSupported(types[i])) return types[i];
    return "";
  }
  function clear() {
    if (recorder && recorder.state !== "inactive") { recorder.onstop = null; recorder.stop(); }
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    if (preview && preview.src) { URL.revokeObjectURL(preview.src); preview.removeAttribute("src"); }
    recorder = null; stream = null; chunks = []; blob = null; startedAt = null; uploaded = null;
    if (!box) return;
    box.dataset.pieces = "0";
    preview.hidden = true; discard.hidden = true; stop.hidden = true; rec.hidden = !canRecord; fileBox.hidden = canRecord;
    status.textContent = "";
    state("none");
  }

  if (box) {
    clear();
    rec.addEventListener("click", async function () {
      rec.disabled = true;
      try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); }
      catch (err) { rec.disabled = false; status.textContent = C.t("c.audio.denied"); fileBox.hidden = false; state("denied"); return; }
      rec.disabled = false;
      var type = mimeType();
      chunks = [];
      recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      // The number of pieces recorded so far (one each 250 ms) is on the fieldset, for whoever watches the state.
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) { chunks.push(e.data); box.dataset.pieces = String(chunks.length); } };
      recorder.onstop = function () {
        if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
        stream = null;
        blob = new Blob(chunks, { type: (recorder.mimeType || type || "audio/webm").split(";")[0] });
        uploaded = null;
        var seconds = Math.max(1, Math.round((Date.now() - startedAt.getTime()) / 1000));
        preview.src = URL.createObjectURL(blob);
        preview.hidden = false;
        status.textContent = C.t("c.audio.recorded").replace("{seconds}", String(seconds));
        stop.hidden = true; rec.hidden = false; discard.hidden = false;
        state("recorded");
      };
      recorder.start(250);
      startedAt = new Date();
      status.textContent = C.t("c.audio.recording");
      rec.hidden = true; discard.hidden = true; stop.hidden = false;
      stop.focus();
      state("recording");
    });
    stop.addEventListener("click", function () { if (recorder && recorder.state !== "inactive") recorder.stop(); });
    discard.addEventListener("click", function () { clear(); rec.focus(); });
    fileInput.addEventListener("change", function () { uploaded = null; blob = null; state(fileInput.files.length ? "file" : "none"); });
    var form = box.closest("form");
    if (form) form.addEventListener("reset", function () { clear(); });
  }

  // The recording (or the chosen file) uploaded as evidence of the incident at `base` (the incident's API URL): its
  // evidence id; null when there is nothing to upload; false when the upload failed (said on the form).
  async function upload(base) {
    if (!box) return null;
    if (recorder && recorder.state === "recording") {
      await new Promise(function (resolve) { var done = recorder.onstop; recorder.onstop = function () { done(); resolve(); }; recorder.stop(); });
    }
    var body = blob || (fileInput.files && fileInput.files[0]) || null;
    if (!body) return null;
    if (uploaded !== null) return uploaded;
    var type = (body.type || "").split(";")[0] || "application/octet-stream";
    var captured = startedAt && blob ? startedAt : null;
    var q = new URLSearchParams({
      fileName: body.name || "witness-statement-" + (captured || new Date()).toISOString().replace(/[:.]/g, "-") + "." + ext(type),
      description: C.t("c.audio.label"),
    });
    if (blob) q.set("device", "Whistle console (MediaRecorder)");
    if (captured) q.set("capturedAt", captured.toISOString());
    status.textContent = C.t("c.audio.uploading");
    var res, problem = null;
    try {
      res = await fetch(base + "/evidence?" + q, { method: "POST", body: body,
        headers: { "Content-Type": type, "Accept": "application/json", "Authorization": "Bearer " + C.token() } });
    } catch (err) { problem = C.t("c.error.network"); }
    if (!problem && !res.ok) {
      var data = null;
      try { data = await res.json(); } catch (err) { data = null; }
      problem = C.t("c.audio.failed") + (data && (data.detail || data.title) ? " " + (data.detail || data.title) : "");
    }
    if (problem) {
      status.textContent = "";
      $("wa-error").textContent = problem;
      box.setAttribute("aria-invalid", "true");
      return false;
    }
    $("wa-error").textContent = "";
    box.removeAttribute("aria-invalid");
    var item = await res.json();
    uploaded = item.id;
    status.textContent = "";
    return uploaded;
  }

  // A button that fetches a statement's recording (with the token: an <audio src> could not send it) and plays it.
  function player(base, evidenceId, label) {
    var audio = C.el("audio", { controls: "", hidden: "", "data-evidence-id": String(evidenceId) });
    var button = C.el("button", { type: "button", className: "secondary", text: C.t("c.audio.label") + (label ? " — " + label : "") });
    var error = C.el("p", { className: "field-error" });
    button.addEventListener("click", async function () {
      button.disabled = true;
      error.textContent = "";
      try {
        var res = await fetch(base + "/evidence/" + evidenceId, { headers: { "Authorization": "Bearer " + C.token() } });
        if (!res.ok) throw new Error(String(res.status));
        audio.src = URL.createObjectURL(await res.blob());
        audio.hidden = false;
        button.hidden = true;
        audio.play().catch(function () { /* the controls are there */ });
      } catch (err) {
        button.disabled = false;
        error.textContent = C.t("c.error.generic");
      }
    });
    return C.el("div", { className: "witness-audio" }, [button, audio, error]);
  }

  window.WhistleWitnessAudio = { upload: upload, player: player };
})();
