// The review queue of what bystanders sent through /evidence (issue 15 §2): documenters and admins. Tabs by state with
// counts, a page of submissions at a time, and a detail pane: the submitter's words (as text, never markup), each file
// with the phone's and the server's SHA-256 and a preview (fetched with the staff token only when asked for — each read is
// a custody "viewed" — and played from a blob: URL), then the actions: attach to an incident (existing or new), reject
// with a reason, the blur flag, and the one message to the submitter (whose address the console never sees).
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  function $(x) { return document.getElementById(x); }
  var API = "/api/v1/review/submissions";
  var body = $("submissions"), errorBox = $("submissions-error"), more = $("sub-more");
  var detail = $("sub-detail"), facts = $("sub-facts"), filesBox = $("sub-files"), custodyBox = $("sub-custody"), statusBox = $("sub-status");
  var attachForm = $("attach"), rejectForm = $("reject"), messageForm = $("message"), blur = $("sub-blur");
  var state = "received", cursor = null, current = null, urls = [];

  function size(n) { return n >= 1048576 ? (n / 1048576).toFixed(1) + " MB" : n >= 1024 ? Math.round(n / 1024) + " KB" : n + " B"; }
  function consent(c) { return C.t("c.sub.consent." + c); }

  function row(s) {
    var open = C.el("button", { type: "button", className: "link", text: s.receiptCode, translate: "no" });
    open.addEventListener("click", function () { statusBox.textContent = ""; show(s.id); });
    return C.el("tr", { "data-id": s.id }, [
      C.el("th", { scope: "row" }, [open]),
      C.el("td", { text: C.when(s.receivedAt, "minute") }),
      C.el("td", { text: String(s.files) + " · " + size(s.bytes) }),
      C.el("td", { text: consent(s.consent) + (s.blurRequested ? " · " + C.t("c.sub.blurOn") : "") }),
    ]);
  }

  async function load(append) {
    var q = new URLSearchParams({ state: state, limit: "50" });
    if (append && cursor) q.set("cursor", cursor);
    var res = await C.api("GET", API + "?" + q);
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    errorBox.textContent = "";
    if (!append) body.textContent = "";
    Object.keys(res.data.counts).forEach(function (k) {
      var badge = document.querySelector("[data-count='" + k + "']");
      if (badge) badge.textContent = String(res.data.counts[k]);
    });
    if (!append && !res.data.items.length) body.appendChild(C.el("tr", {}, [C.el("td", { colspan: "4", text: C.t("c.sub.none") })]));
    res.data.items.forEach(function (s) { body.appendChild(row(s)); });
    cursor = res.data.nextCursor;
    more.hidden = !cursor;
  }

  document.querySelectorAll("#sub-tabs [data-state]").forEach(function (b) {
    b.addEventListener("click", function () {
      state = b.dataset.state;
      document.querySelectorAll("#sub-tabs [data-state]").forEach(function (x) { x.setAttribute("aria-pressed", x === b ? "true" : "false"); });
      cursor = null;
      load(false);
    });
  });
  more.addEventListener("click", function () { load(true); });

  function fact(label, value, noTranslate) {
    facts.appendChild(C.el("dt", { text: label }));
    facts.appendChild(C.el("dd", noTranslate ? { text: value, translate: "no" } : { text: value }));
  }

  // A preview of one file: the player (video, audio or image) filled from the file fetched with the token.
  function preview(s, f) {
    var kind = /^video\//.test(f.mediaType) ? "video" : /^audio\//.test(f.mediaType) ? "audio" : /^image\//.test(f.mediaType) ? "img" : null;
    var box = C.el("div", { className: "preview" });
    if (!kind || !f.complete) return box;
    var player = kind === "img" ? C.el("img", { alt: f.name, hidden: "" }) : C.el(kind, { controls: "", preload: "metadata", hidden: "" });
    player.dataset.fileId = String(f.id);
    var button = C.el("button", { type: "button", className: "secondary", text: C.t("c.sub.preview") });
    var error = C.el("p", { className: "field-error" });
    button.addEventListener("click", async function () {
      button.disabled = true;
      error.textContent = "";
      try {
        var res = await fetch(API + "/" + s.id + "/files/" + f.id, { headers: { "Authorization": "Bearer " + C.token() } });
        if (!res.ok) throw new Error(String(res.status));
        var url = URL.createObjectURL(await res.blob());
        urls.push(url);
        player.src = url;
        player.hidden = false;
        button.hidden = true;
      } catch (err) {
        button.disabled = false;
        error.textContent = C.t("c.error.generic");
      }
    });
    box.appendChild(button);
    box.appendChild(player);
    box.appendChild(error);
    return box;
  }

  function render(s) {
    current = s;
    urls.forEach(function (u) { URL.revokeObjectURL(u); });
    urls = [];
    facts.textContent = "";
    fact(C.t("c.sub.receipt"), s.receiptCode, true);
    fact(C.t("c.sub.stateLabel"), C.t("c.sub.state." + s.state));
    fact(C.t("c.sub.what"), s.what || "\u2014", true);
    fact(C.t("c.sub.place"), (s.place || "\u2014") + (s.lat != null ? " (" + s.lat + ", " + s.lon + ")" : ""), true);
    fact(C.t("c.sub.observedAt"), C.when(s.observedAt, "minute"));
    fact(C.t("c.sub.receivedAt"), C.when(s.receivedAt, "minute"));
    fact(C.t("c.sub.consent"), consent(s.consent));
    fact(C.t("c.sub.blurLabel"), s.blurRequested ? C.t("c.sub.blurOn") : C.t("c.sub.blurOff"));
    fact(C.t("c.sub.contact"), s.contact ? C.t("c.sub.contact." + s.contact) : s.contactPurged ? C.t("c.sub.contact.purged") : C.t("c.sub.contact.none"));
    if (s.rejectReason) fact(C.t("c.sub.reject.reason"), s.rejectReason, true);
    if (s.incidentId) {
      facts.appendChild(C.el("dt", { text: C.t("c.sub.incident") }));
      facts.appendChild(C.el("dd", {}, [C.el("a", { id: "sub-incident-link", href: "/console/incidents/" + s.incidentId, text: C.t("c.sub.openIncident") })]));
    }

    filesBox.textContent = "";
    s.files.forEach(function (f) {
      var hashes = C.el("dl", { className: "facts hashes" }, [
        C.el("dt", { text: C.t("c.sub.phoneHash") }), C.el("dd", { text: f.clientSha256, translate: "no", className: "hash" }),
        C.el("dt", { text: C.t("c.sub.serverHash") }), C.el("dd", { text: f.sha256 || C.t("c.sub.notYet"), translate: "no", className: "hash" }),
      ]);
      var same = f.sha256 && f.sha256 === f.clientSha256;
      filesBox.appendChild(C.el("li", { "data-file-id": String(f.id) }, [
        C.el("p", {}, [C.el("strong", { text: f.name, translate: "no" }), " · " + f.mediaType + " · " + size(f.size)
          + (f.complete ? "" : " · " + C.t("c.sub.arriving").replace("{percent}", String(Math.floor(100 * f.offset / Math.max(1, f.size)))))]),
        hashes,
        f.sha256 ? C.el("p", { className: same ? "" : "form-error", text: same ? C.t("c.sub.hashesMatch") : C.t("c.sub.hashesDiffer") }) : null,
        preview(s, f),
      ]));
    });

    custodyBox.textContent = "";
    s.custody.forEach(function (c) {
      custodyBox.appendChild(C.el("li", {}, [C.when(c.at, "exact") + " · " + c.action + " · ", C.el("span", { text: c.actor, translate: "no" })]));
    });

    var open = s.state === "received";
    $("attach-box").hidden = !open;
    $("reject-box").hidden = !open;
    $("message-box").hidden = !s.contact || !!s.messagedAt;
    blur.setAttribute("aria-pressed", s.blurRequested ? "true" : "false");
    blur.textContent = s.blurRequested ? C.t("c.sub.blurClear") : C.t("c.sub.blur");
    detail.hidden = false;
  }

  async function show(id) {
    var res = await C.api("GET", API + "/" + id);
    if (!res.ok) { C.showProblem(document, res.problem, $("detail-error")); return; }
    $("detail-error").textContent = "";
    render(res.data);
    detail.scrollIntoView();
    if (document.getElementById("attach-incident").options.length === 0) incidents();
  }

  async function incidents() {
    var res = await C.api("GET", "/api/v1/incidents");
    var select = $("attach-incident");
    select.textContent = "";
    if (!res.ok) return;
    res.data.forEach(function (i) {
      select.appendChild(C.el("option", { value: i.id, text: i.title + " — " + C.when(i.occurredAt, "day") }));
    });
  }

  attachForm.addEventListener("change", function () {
    var isNew = attachForm.querySelector("input[name=target]:checked").value === "new";
    $("attach-new").hidden = !isNew;
    $("attach-existing").hidden = isNew;
  });

  attachForm.addEventListener("submit", async function (e) {
    e.preventDefault();
    if (!current) return;
    C.clearProblem(attachForm);
    var isNew = attachForm.querySelector("input[name=target]:checked").value === "new";
    var req = isNew
      ? { newIncident: { title: $("attach-title").value.trim(), occurredAt: C.fromZone($("attach-occurred").value) || null, place: $("attach-place").value.trim() || null } }
      : { incidentId: $("attach-incident").value || null };
    var button = attachForm.querySelector("button[type=submit]");
    button.disabled = true;
    var res = await C.api("POST", API + "/" + current.id + "/attach", req);
    button.disabled = false;
    if (!res.ok) { C.showProblem(attachForm, res.problem); return; }
    await show(current.id);
    statusBox.textContent = C.t("c.sub.attached");
    load(false);
  });

  rejectForm.addEventListener("submit", async function (e) {
    e.preventDefault();
    if (!current) return;
    C.clearProblem(rejectForm);
    var res = await C.api("POST", API + "/" + current.id + "/reject", { reason: $("reject-reason").value });
    if (!res.ok) { C.showProblem(rejectForm, res.problem); return; }
    rejectForm.reset();
    statusBox.textContent = C.t("c.sub.rejected");
    render(res.data);
    load(false);
  });

  blur.addEventListener("click", async function () {
    if (!current) return;
    var res = await C.api("POST", API + "/" + current.id + "/blur", { requested: !current.blurRequested });
    if (!res.ok) { C.showProblem(document, res.problem, $("detail-error")); return; }
    render(res.data);
  });

  messageForm.addEventListener("submit", async function (e) {
    e.preventDefault();
    if (!current) return;
    C.clearProblem(messageForm);
    var res = await C.api("POST", API + "/" + current.id + "/message", { message: $("message-which").value });
    if (!res.ok) { C.showProblem(messageForm, res.problem); return; }
    await show(current.id);
    statusBox.textContent = C.t("c.sub.messaged");
  });

  load(false);
})();
