// Admin: the network's message templates per language — edit (refused, with the reason next to the
// text, when it would break a placeholder or the SMS segment budget), and approve a translation.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var list = document.getElementById("templates");
  var errorBox = document.getElementById("templates-error");
  var language = document.getElementById("language");
  var saved = sessionStorage.getItem("whistle.tpl.lang");
  if (saved) language.value = saved;

  function size(t) {
    if (!t.sms) return "";
    return C.t("c.tpl.size") + ": " + t.sms.segments + " " + C.t("c.tpl.segments") + " (" + t.sms.encoding + ", " + t.sms.units +
      ") · " + t.sms.costPerMessage + " " + t.sms.currency + " · " + C.t("c.tpl.budget") + " " + t.sms.budget;
  }
  function review(t) {
    return t.needsReview ? C.t("c.tpl.review") : (t.reviewedBy ? C.t("c.tpl.reviewed") + " " + t.reviewedBy : "");
  }

  // A person's name for a template, not its key: "The retraction", "What was seen: Checkpoint".
  function name(t) {
    if (t.key.indexOf("activity.") === 0) return C.t("c.tpl.name.activity") + ": " + C.activity(t.key.slice(9));
    var n = C.t("c.tpl.name." + t.key);
    return n === "c.tpl.name." + t.key ? t.key : n;
  }
  var GROUPS = ["alert", "update", "all_clear", "retraction", "drill", "words", "subscription", "dispatch", "reports", "other"];

  function item(t) {
    var fid = "tpl-" + t.id;
    var meta = C.el("p", { className: "meta", text: size(t) });
    var status = C.el("p", { className: "meta review", text: review(t) });
    var done = C.el("p", { className: "done", role: "status" });
    var approve = C.el("button", { type: "button", className: "secondary", text: C.t("c.tpl.approve") });
    approve.hidden = !t.needsReview;
    var form = C.el("form", { className: "stack", novalidate: "" }, [
      C.el("p", { className: "form-error", role: "alert", "data-error-general": "" }),
      C.el("div", { className: "field wide" }, [
        C.el("label", { for: fid, text: name(t) }),
        C.el("textarea", { id: fid, name: "text", rows: "3", maxlength: "1000", lang: t.language, "aria-describedby": fid + "-error " + fid + "-meta" }),
        C.el("p", { className: "field-error", id: fid + "-error", "data-error-for": "text" }),
      ]),
      // the template's technical name, for admins who edit translation files: code, not words to translate
      C.el("p", { className: "meta" }, [C.t("c.tpl.key") + ": ", C.el("code", { translate: "no", text: t.key })]),
      meta, status,
      C.el("div", { className: "inline" }, [C.el("button", { type: "submit", text: C.t("c.tpl.save") }), approve]),
      done,
    ]);
    meta.id = fid + "-meta";
    form.text.value = t.text;
    function show(v) {
      meta.textContent = size(v);
      status.textContent = review(v);
      approve.hidden = !v.needsReview;
    }
    form.addEventListener("submit", async function (e) {
      e.preventDefault();
      done.textContent = "";
      var res = await C.api("PUT", "/api/v1/templates/" + t.id, { text: form.text.value });
      if (!res.ok) { C.showProblem(form, res.problem); return; }
      C.clearProblem(form);
      show(res.data);
      done.textContent = C.t("c.done");
    });
    approve.addEventListener("click", async function () {
      done.textContent = "";
      var res = await C.api("POST", "/api/v1/templates/" + t.id + "/approve");
      if (!res.ok) { C.showProblem(form, res.problem); return; }
      show(res.data);
      done.textContent = C.t("c.done");
    });
    return C.el("li", { className: "card", "data-key": t.key }, [form]);
  }

  var latest = 0;
  async function load() {
    sessionStorage.setItem("whistle.tpl.lang", language.value);
    var mine = ++latest;
    var res = await C.api("GET", "/api/v1/templates?language=" + encodeURIComponent(language.value));
    if (mine !== latest) return; // a later choice of language is loading: this answer is stale
    list.textContent = "";
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    errorBox.textContent = "";
    // Grouped by purpose, each group with a plain explanation; how many still await review, first.
    var pending = res.data.filter(function (t) { return t.needsReview; }).length;
    list.appendChild(C.el("li", { className: "meta", id: "tpl-pending", text: C.t("c.tpl.unreviewedCount").replace("{count}", String(pending)) }));
    GROUPS.forEach(function (g) {
      var members = res.data.filter(function (t) { return (GROUPS.indexOf(t.group) >= 0 ? t.group : "other") === g; });
      if (!members.length) return;
      var inner = C.el("ul", { className: "cards" });
      members.forEach(function (t) { inner.appendChild(item(t)); });
      list.appendChild(C.el("li", { className: "tpl-group", "data-group": g }, [
        C.el("h2", { text: C.t("c.tpl.group." + g) }),
        C.el("p", { className: "meta", text: C.t("c.tpl.about." + g) }),
        inner,
      ]));
    });
  }
  language.addEventListener("change", load);
  load();
})();
