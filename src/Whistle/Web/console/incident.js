// One incident file: its facts, timeline, attributed claims, witness statements (names and contacts only when
// the API returns them: documenters), evidence with upload, follow-ups, and the custody log with its check and
// the ZIP export. Every successful action reloads the whole file (which the API logs as viewed).
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var root = document.getElementById("incident");
  var id = root.dataset.id;
  var base = "/api/v1/incidents/" + id;
  var errorBox = document.getElementById("incident-error");
  var documents = C.canDocument();
  var file = null, custody = [], newestFirst = false;

  function $(x) { return document.getElementById(x); }
  function when(iso, precision) { return WhistleConsole.when(iso, precision || "minute"); }
  function iso(local) { return WhistleConsole.fromZone(local); } // the network's wall clock, not the browser's
  function val(form, name) { var e = form.elements.namedItem(name); return e ? e.value.trim() : ""; }
  function orNull(s) { return s === "" ? null : s; }
  function short(hash) { return hash ? hash.slice(0, 12) + "…" : "—"; }
  function size(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + " MB";
    if (n >= 1024) return (n / 1024).toFixed(1) + " KB";
    return n + " " + C.t("c.inc.bytes");
  }
  function hashCell(hash) { return C.el("td", {}, [C.el("code", { title: hash, text: short(hash) })]); }
  function empty(body, cols, key) { body.appendChild(C.el("tr", {}, [C.el("td", { colspan: String(cols), text: C.t(key) })])); }
  function evidenceName(eid) {
    var e = file && file.evidence.filter(function (x) { return x.id === eid; })[0];
    return e ? e.fileName + " (#" + eid + ")" : "#" + eid;
  }

  // ---- Facts ----
  function fact(dl, key, value) {
    dl.appendChild(C.el("dt", { text: C.t(key) }));
    dl.appendChild(C.el("dd", { text: value }));
  }
  function renderFacts(i) {
    $("i-title").textContent = i.title;
    document.title = i.title + " — " + document.title.split(" — ").slice(1).join(" — ");
    var dl = $("facts");
    dl.textContent = "";
    fact(dl, "c.inc.status", C.t("incident.status." + i.status) + (i.statusNote ? " — " + i.statusNote : ""));
    fact(dl, "c.inc.occurredAt", when(i.occurredAt));
    fact(dl, "c.inc.place", i.place || "—");
    fact(dl, "c.inc.category", C.t("incident.category." + i.category));
    fact(dl, "c.inc.agencies", i.agencies.length ? i.agencies.map(function (a) { return C.t("incident.agency." + a); }).join(", ") : "—");
    fact(dl, "c.inc.counts", C.t("c.inc.peopleAffected") + ": " + i.peopleAffected + " · " + C.t("c.inc.injured") + ": " + i.injured
      + " · " + C.t("c.inc.deaths") + ": " + i.deaths);
    if (i.names) fact(dl, "c.inc.names", i.names.join(", "));
    else if (i.hasNames) fact(dl, "c.inc.names", C.t("c.inc.hidden"));
    fact(dl, "c.inc.published", i.published ? C.t("c.inc.yes") : C.t("c.inc.no"));
    fact(dl, "c.inc.createdBy", i.createdBy + " · " + when(i.createdAt));
  }

  // ---- Timeline (sorted and filtered here: the whole file is already loaded) ----
  function renderTimeline() {
    var body = $("timeline");
    body.textContent = "";
    var q = $("t-filter").value.trim().toLowerCase();
    var list = file.timeline.filter(function (t) {
      return !q || t.text.toLowerCase().indexOf(q) >= 0 || t.source.toLowerCase().indexOf(q) >= 0;
    });
    list.sort(function (a, b) { return (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id) * (newestFirst ? -1 : 1); });
    if (!list.length) empty(body, 4, file.timeline.length ? "c.inc.timeline.noMatch" : "c.inc.timeline.none");
    list.forEach(function (t) {
      var disputed = C.el("td", { text: t.disputed ? C.t("c.inc.yes") : C.t("c.inc.no") });
      if (!t.disputed && documents) {
        var b = C.el("button", { type: "button", className: "secondary small", text: C.t("c.inc.markDisputed"),
          "aria-label": C.t("c.inc.markDisputed") + ": " + t.source + ", " + when(t.at, t.precision) });
        b.addEventListener("click", function () { act(b, "POST", base + "/timeline/" + t.id + "/dispute"); });
        disputed.appendChild(document.createTextNode(" "));
        disputed.appendChild(b);
      }
      body.appendChild(C.el("tr", { "data-id": String(t.id), className: t.disputed ? "disputed" : "" }, [
        C.el("th", { scope: "row", text: when(t.at, t.precision) }),
        C.el("td", { text: t.source }),
        C.el("td", { className: "long", text: t.text }),
        disputed,
      ]));
    });
  }

  // ---- Claims ----
  function renderClaims() {
    var list = $("claims");
    list.textContent = "";
    if (!file.claims.length) list.appendChild(C.el("li", { className: "none", text: C.t("c.inc.claims.none") }));
    file.claims.forEach(function (c) {
      var li = C.el("li", { className: "card" + (c.disputed ? " disputed" : ""), "data-id": String(c.id) });
      li.appendChild(C.el("p", { className: "long", text: c.said }));
      var meta = [];
      if (c.saidAt) meta.push(when(c.saidAt));
      if (c.venue) meta.push(c.venue);
      if (meta.length) li.appendChild(C.el("p", { className: "meta", text: meta.join(" · ") }));
      if (c.sourceUrl) li.appendChild(C.el("p", {}, [C.el("a", { href: c.sourceUrl, rel: "noopener noreferrer", target: "_blank", text: C.t("c.inc.sourceLink") })]));
      if (c.disputed) li.appendChild(C.el("p", { className: "flag", text: C.t("c.inc.disputed") + (c.disputeNote ? ": " + c.disputeNote : "") }));
      var links = c.supporting.map(function (l) { return [C.t("c.inc.supports"), l]; })
        .concat(c.contradicting.map(function (l) { return [C.t("c.inc.contradicts"), l]; }));
      if (links.length) {
        li.appendChild(C.el("p", { className: "meta", text: C.t("c.inc.linkedEvidence") }));
        li.appendChild(C.el("ul", {}, links.map(function (x) {
          return C.el("li", { text: x[0] + ": " + evidenceName(x[1].evidenceId) + (x[1].note ? " — " + x[1].note : "") });
        })));
      }
      if (documents && file.evidence.length) li.appendChild(linkForm(c));
      list.appendChild(li);
    });
  }

  function linkForm(c) {
    var pre = "cl" + c.id + "-";
    var ev = C.el("select", { id: pre + "ev", name: "evidenceId" }, file.evidence.map(function (e) {
      return C.el("option", { value: String(e.id), text: e.fileName + " (#" + e.id + ")" });
    }));
    var stance = C.el("select", { id: pre + "stance", name: "stance" }, [
      C.el("option", { value: "supports", text: C.t("c.inc.supports") }),
      C.el("option", { value: "contradicts", text: C.t("c.inc.contradicts") }),
    ]);
    var form = C.el("form", { className: "inline", novalidate: "" }, [
      C.el("div", { className: "field" }, [C.el("label", { for: pre + "ev", text: C.t("c.inc.evidenceItem") }), ev]),
      C.el("div", { className: "field" }, [C.el("label", { for: pre + "stance", text: C.t("c.inc.stance") }), stance]),
      C.el("button", { type: "submit", className: "secondary", text: C.t("c.inc.link") }),
      C.el("p", { className: "form-error", role: "alert", "data-error-general": "" }),
    ]);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      send(form, base + "/claims/" + c.id + "/evidence", { evidenceId: Number(ev.value), stance: stance.value });
    });
    return C.el("details", {}, [C.el("summary", { text: C.t("c.inc.linkEvidence") }), form]);
  }

  // ---- Witnesses ----
  function renderWitnesses() {
    var list = $("witnesses");
    list.textContent = "";
    if (!file.witnesses.length) list.appendChild(C.el("li", { className: "none", text: C.t("c.inc.witnesses.none") }));
    file.witnesses.forEach(function (w) {
      var li = C.el("li", { className: "card", "data-id": String(w.id) });
      if (w.withdrawn) li.appendChild(C.el("p", { className: "flag", text: C.t("c.inc.withdrawn") }));
      else li.appendChild(C.el("p", { className: "long", text: w.text || (w.audioEvidenceId ? C.t("c.inc.audio") + " " + evidenceName(w.audioEvidenceId) : "—") }));
      li.appendChild(C.el("p", { className: "meta", text: C.t("c.inc.consent") + ": " + C.t("c.inc.consent." + w.consent)
        + " · " + C.t("c.inc.consentAt") + ": " + when(w.consentAt) + " · " + C.t("c.inc.takenBy") + " " + w.takenBy + ", " + when(w.takenAt) }));
      var who = [];
      if (w.name) who.push(C.t("c.inc.witnessName") + ": " + w.name);
      else if (w.hasName) who.push(C.t("c.inc.witnessName") + ": " + C.t("c.inc.hidden"));
      if (w.contact) who.push(C.t("c.inc.witnessContact") + ": " + w.contact);
      else if (w.hasContact) who.push(C.t("c.inc.witnessContact") + ": " + C.t("c.inc.hidden"));
      if (who.length) li.appendChild(C.el("p", { className: "meta", text: who.join(" · ") }));
      // The recording, for staff who may download evidence (witness-audio.js).
      if (w.audioEvidenceId && !w.withdrawn && documents && window.WhistleWitnessAudio)
        li.appendChild(window.WhistleWitnessAudio.player(base, w.audioEvidenceId, evidenceName(w.audioEvidenceId)));
      list.appendChild(li);
    });
  }

  // ---- Evidence ----
  function renderEvidence() {
    var body = $("evidence");
    body.textContent = "";
    if (!file.evidence.length) empty(body, 7, "c.inc.evidence.none");
    file.evidence.forEach(function (e) {
      body.appendChild(C.el("tr", { "data-id": String(e.id) }, [
        C.el("th", { scope: "row", text: e.fileName }),
        C.el("td", { text: e.mediaType }),
        C.el("td", { text: size(e.size) }),
        hashCell(e.sha256),
        capturedCell(e),
        C.el("td", { text: [e.device, e.app].filter(Boolean).join(" · ") || "—" }),
        C.el("td", { text: e.locationText || "—" }),
      ]));
    });
  }

  // When it was captured: as the uploader stated it, and as the file's own metadata says (read on intake).
  function capturedCell(e) {
    if (!e.fileCapturedAt) return C.el("td", { text: when(e.capturedAt) });
    return C.el("td", {}, [
      C.el("span", { text: (e.capturedAt ? C.t("c.inc.stated") + ": " + when(e.capturedAt) : "—") }),
      C.el("br"),
      C.el("span", { className: "meta", title: e.fileCapturedFrom || "", text: C.t("c.inc.fileCaptured") + ": " + when(e.fileCapturedAt) }),
    ]);
  }

  // ---- Follow-ups ----
  function renderFollowUps() {
    var list = $("followups");
    list.textContent = "";
    if (!file.followUps.length) list.appendChild(C.el("li", { className: "none", text: C.t("c.inc.followUps.none") }));
    file.followUps.forEach(function (f) {
      var li = C.el("li", { className: "card" + (f.overdue ? " overdue" : ""), "data-id": String(f.id) });
      li.appendChild(C.el("p", { text: C.t("c.inc.kind." + f.kind) + ": " + f.description }));
      var state = f.done ? C.t("c.inc.done") + " " + when(f.doneAt) : f.overdue ? C.t("c.inc.overdue") : C.t("c.inc.pending");
      li.appendChild(C.el("p", { className: "meta", text: C.t("c.inc.owner") + ": " + f.owner + " · " + C.t("c.inc.dueAt") + ": " + when(f.dueAt) + " · " + state }));
      if (!f.done && documents) {
        var b = C.el("button", { type: "button", className: "secondary", text: C.t("c.inc.markDone"), "aria-label": C.t("c.inc.markDone") + ": " + f.description });
        b.addEventListener("click", function () { act(b, "POST", base + "/follow-ups/" + f.id + "/done"); });
        li.appendChild(b);
      }
      list.appendChild(li);
    });
  }

  // ---- Custody ----
  function renderCustody() {
    var body = $("custody");
    body.textContent = "";
    custody.forEach(function (c) {
      body.appendChild(C.el("tr", { "data-seq": String(c.seq) }, [
        C.el("th", { scope: "row", text: String(c.seq) }),
        C.el("td", { text: c.action }),
        C.el("td", { text: c.actor }),
        C.el("td", { text: when(c.at) }),
        C.el("td", { text: c.objectType + " " + c.objectId }),
        hashCell(c.hash),
      ]));
    });
  }

  // Whether the chain head is independently timestamped (decision 0031), the time in the network's zone.
  function renderPin(s) {
    var p = $("custody-pin");
    if (!p || !s) return;
    p.setAttribute("data-timestamped", s.timestamped ? "true" : "false");
    p.textContent = s.lastTimestampAt ? C.t("c.pin.at").replace("{time}", WhistleConsole.when(s.lastTimestampAt, "exact"))
      : C.t(s.tsaConfigured ? "c.pin.pending" : "c.pin.none");
  }

  async function load() {
    var res = await C.api("GET", base);
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    file = res.data;
    var cus = await C.api("GET", base + "/custody");
    custody = cus.ok ? cus.data : [];
    errorBox.textContent = "";
    renderFacts(file.incident);
    renderTimeline();
    renderClaims();
    renderWitnesses();
    renderEvidence();
    renderFollowUps();
    renderCustody();
    var pins = await C.api("GET", base + "/custody/pins");
    renderPin(pins.ok ? pins.data.status : null);
  }

  // ---- Actions ----
  async function act(button, method, url) {
    button.disabled = true;
    var res = await C.api(method, url);
    if (!res.ok) { button.disabled = false; C.showProblem(document, res.problem, errorBox); return; }
    await load();
  }

  // Posts a form's request; the API's problems go next to the fields; on success the form is emptied and the file reloaded.
  async function send(form, url, body) {
    C.clearProblem(form);
    var button = form.querySelector("button[type=submit]");
    var done = form.querySelector(".done");
    if (done) done.textContent = "";
    button.disabled = true;
    var res = await C.api("POST", url, body);
    button.disabled = false;
    if (!res.ok) { failed(form, res.problem); return false; }
    form.reset();
    await load();
    if (done) done.textContent = C.t("c.inc.saved");
    return true;
  }

  function failed(form, problem) {
    C.showProblem(form, problem);
    var bad = form.querySelector("[aria-invalid=true]");
    if (bad && bad.tagName === "FIELDSET") bad = bad.querySelector("input");
    if (bad) bad.focus();
  }

  function on(formId, build) {
    var form = $(formId);
    form.addEventListener("submit", async function (e) { e.preventDefault(); var r = await build(form); if (r) send(form, r[0], r[1]); });
  }

  on("add-timeline", function (f) {
    return [base + "/timeline", { at: WhistleConsole.fromZone(val(f, "at")), precision: val(f, "precision") || "minute", source: orNull(val(f, "source")), text: orNull(val(f, "text")),
      disputed: f.elements.namedItem("disputed").checked }];
  });

  on("add-claim", function (f) {
    var disputed = f.elements.namedItem("disputed").checked;
    return [base + "/claims", {
      claimantName: orNull(val(f, "claimantName")), claimantRole: orNull(val(f, "claimantRole")), organisation: orNull(val(f, "organisation")),
      text: orNull(val(f, "text")), saidAt: iso(val(f, "saidAt")), venue: orNull(val(f, "venue")), sourceUrl: orNull(val(f, "sourceUrl")),
      disputed: disputed, disputeNote: disputed ? orNull(val(f, "disputeNote")) : null,
    }];
  });

  on("add-witness", async function (f) {
    // A recorded statement is uploaded as evidence first; the statement then points to it (false: the upload failed).
    var audio = window.WhistleWitnessAudio ? await window.WhistleWitnessAudio.upload(base) : null;
    if (audio === false) return null;
    var chosen = f.querySelector("input[name=consent]:checked");
    var consent = chosen ? chosen.value : null;
    // Consent given now unless the documenter says when; without a choice nothing is filled in (the API refuses it).
    var at = iso(val(f, "consentAt")) || (consent ? new Date().toISOString() : null);
    return [base + "/witnesses", { text: orNull(val(f, "text")), consent: consent, consentAt: at,
      name: orNull(val(f, "name")), contact: orNull(val(f, "contact")), audioEvidenceId: audio }];
  });

  on("add-followup", function (f) {
    return [base + "/follow-ups", { kind: val(f, "kind"), description: orNull(val(f, "description")), owner: orNull(val(f, "owner")),
      dueAt: iso(val(f, "dueAt")) }];
  });

  // The file itself is the request body (streamed by the browser), its type the Content-Type; what we know of it in the query.
  var upload = $("upload");
  upload.addEventListener("submit", async function (e) {
    e.preventDefault();
    C.clearProblem(upload);
    var done = upload.querySelector(".done");
    done.textContent = "";
    var input = upload.elements.namedItem("file");
    var picked = input.files && input.files[0];
    if (!picked) { failed(upload, { errors: { file: [C.t("c.inc.evidence.noFile")] } }); return; }
    var q = new URLSearchParams({ fileName: picked.name });
    [["description", "description"], ["device", "device"], ["app", "app"], ["location", "location"]].forEach(function (p) {
      if (val(upload, p[0])) q.set(p[1], val(upload, p[0]));
    });
    if (val(upload, "capturedAt")) q.set("capturedAt", iso(val(upload, "capturedAt")));
    var button = upload.querySelector("button[type=submit]");
    button.disabled = true;
    var res, problem = null;
    try {
      res = await fetch(base + "/evidence?" + q, { method: "POST", body: picked,
        headers: { "Content-Type": picked.type || "application/octet-stream", "Accept": "application/json", "Authorization": "Bearer " + C.token() } });
    } catch (err) { problem = { detail: C.t("c.error.network") }; }
    button.disabled = false;
    if (!problem && res.status === 401) { location.href = "/console/login?next=" + encodeURIComponent(location.pathname); return; }
    if (!problem && !res.ok) {
      var data = null;
      try { data = await res.json(); } catch (err) { data = null; }
      if (res.status === 413 || res.status === 415) problem = { detail: ((data && data.title) || C.t("c.inc.evidence.refused")) + ": " + ((data && data.detail) || "") };
      else if (res.status === 403) problem = { detail: C.t("c.error.forbidden") };
      else if (res.status >= 500) problem = { detail: C.t("c.error.generic") };
      else problem = data && (data.errors || data.detail) ? data : { detail: (data && data.title) || C.t("c.error.generic") };
    }
    if (problem) { failed(upload, problem); return; }
    var item = await res.json();
    upload.reset();
    await load();
    done.textContent = (res.status === 200 ? C.t("c.inc.evidence.already") : C.t("c.inc.evidence.added")) + " " + item.fileName + " · SHA-256 " + item.sha256;
  });

  // ---- Custody check and export ----
  var verify = $("verify"), verdict = $("verify-result");
  verify.addEventListener("click", async function () {
    verify.disabled = true;
    verdict.textContent = "";
    var res = await C.api("GET", base + "/custody/verify");
    verify.disabled = false;
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    var v = res.data;
    verdict.className = "verdict " + (v.intact ? "intact" : "broken");
    verdict.textContent = v.intact
      ? C.t("c.inc.intact") + " " + v.entries + " " + C.t("c.inc.entries")
      : v.firstBrokenSeq != null
        ? C.t("c.inc.broken") + " " + v.firstBrokenSeq + (v.reason ? " — " + v.reason : "") + " (" + v.entries + " " + C.t("c.inc.entries") + ")"
        : C.t("c.custody.records");
    // Each record that no longer matches its custody log: what it is, which one, and the field when known.
    var findings = v.records || [];
    if (findings.length) {
      var list = document.createElement("ul");
      list.className = "custody-findings";
      findings.forEach(function (f) {
        var li = document.createElement("li");
        li.append(C.t("c.custody.type." + f.type) + " " + f.id + ": ");
        if (f.field) {
          li.append(C.t("c.custody.field") + " ");
          var code = document.createElement("code");
          code.textContent = f.field;
          li.append(code);
        } else {
          li.append(C.t("c.custody." + f.problem));
        }
        list.append(li);
      });
      verdict.append(list);
    }
  });

  var exportButton = $("export"), exportError = $("export-error");
  exportButton.addEventListener("click", async function () {
    exportButton.disabled = true;
    exportError.textContent = "";
    try {
      var res = await fetch(base + "/export", { method: "POST", headers: { "Authorization": "Bearer " + C.token() } });
      if (!res.ok) {
        var data = null;
        try { data = await res.json(); } catch (err) { data = null; }
        exportError.textContent = res.status === 403 ? C.t("c.error.forbidden") : (data && (data.detail || data.title)) || C.t("c.error.generic");
        return;
      }
      var blob = await res.blob();
      var name = (/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(res.headers.get("Content-Disposition") || "") || [])[1];
      var a = C.el("a", { href: URL.createObjectURL(blob), download: name ? decodeURIComponent(name) : "incident-" + id + ".zip" });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
      await load(); // the export is in the custody log
    } catch (err) {
      exportError.textContent = C.t("c.error.network");
    } finally {
      exportButton.disabled = false;
    }
  });

  $("t-filter").addEventListener("input", function () { if (file) renderTimeline(); });
  var sortButton = $("t-sort");
  sortButton.addEventListener("click", function () {
    newestFirst = !newestFirst;
    sortButton.setAttribute("aria-pressed", newestFirst ? "true" : "false");
    if (file) renderTimeline();
  });

  load();
})();
