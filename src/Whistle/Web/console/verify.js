// The verifier's phone view: the sightings verifiers were sent to, each with confirm / false alarm /
// nothing found and a note. New assignments appear live (/hubs/sightings).
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var list = document.getElementById("assignments");
  var errorBox = document.getElementById("verify-error");
  var cards = {};

  function showNone() {
    var any = list.querySelector("li.card");
    var none = list.querySelector("li.none");
    if (!any && !none) list.appendChild(C.el("li", { className: "none", text: C.t("c.verify.none") }));
    if (any && none) none.remove();
  }

  function card(s) {
    var noteId = "note-" + s.id;
    var form = C.el("form", { className: "stack", novalidate: "" }, [
      C.el("p", { className: "form-error", role: "alert", "data-error-general": "" }),
      C.el("div", { className: "field" }, [
        C.el("label", { for: noteId, text: C.t("c.note") }),
        C.el("textarea", { id: noteId, name: "note", rows: "2", maxlength: "1000", "aria-describedby": noteId + "-error" }),
        C.el("p", { className: "field-error", id: noteId + "-error", "data-error-for": "note" }),
      ]),
      C.el("p", { className: "field-error", "data-error-for": "outcome" }),
      C.el("div", { className: "outcomes" }, [
        C.el("button", { type: "submit", name: "outcome", value: "confirmed", className: "confirm", text: C.t("c.verify.confirm") }),
        C.el("button", { type: "submit", name: "outcome", value: "false_alarm", className: "danger", text: C.t("c.verify.deny") }),
        C.el("button", { type: "submit", name: "outcome", value: "not_found", className: "secondary", text: C.t("c.verify.notfound") }),
      ]),
    ]);
    var where = s.lat != null
      ? C.el("a", { href: "geo:" + s.lat.toFixed(5) + "," + s.lon.toFixed(5), text: C.t("c.verify.map") }) : null;
    var headingId = "h-" + s.id;
    var li = C.el("li", { className: "card", "data-id": s.id, "aria-labelledby": headingId }, [
      C.el("h2", { id: headingId, text: C.activity(s.activity) }),
      C.el("p", { text: C.t("c.verify.where") + ": " + (s.placeText || "—") }),
      C.el("p", { className: "meta", text: s.reportCount + " " + C.t("c.reports") + " · " + C.time(s.lastReportAt) }),
      where, form,
    ]);
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      var outcome = e.submitter && e.submitter.value;
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      li.dataset.done = "sending"; // its own change comes back over the hub: keep the card for the answer
      var res = await C.api("POST", "/api/v1/sightings/" + s.id + "/verification", { outcome: outcome, note: form.note.value.trim() || null });
      if (res.ok) {
        li.dataset.done = "true";
        li.textContent = "";
        li.appendChild(C.el("h2", { id: headingId, text: C.activity(s.activity) }));
        li.appendChild(C.el("p", { className: "done", role: "status", text: C.t("c.verify.done") }));
        return;
      }
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      delete li.dataset.done;
      C.showProblem(form, res.problem);
    });
    return li;
  }

  function upsert(s) {
    var existing = cards[s.id];
    if (s.state === "verifying") {
      if (!existing) { cards[s.id] = card(s); list.appendChild(cards[s.id]); }
    } else if (existing && !existing.dataset.done) {
      existing.remove();
      delete cards[s.id];
    }
    showNone();
  }

  async function load() {
    var res = await C.api("GET", "/api/v1/sightings/assigned");
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    var none = list.querySelector("li.none");
    if (none) none.remove();
    res.data.forEach(upsert);
    showNone();
  }

  var hub = C.hub("/hubs/sightings");
  hub.on("sighting", upsert);
  hub.onreconnected(load);
  hub.start().then(load).catch(load);
})();
