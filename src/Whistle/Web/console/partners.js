// Partner networks (dispatchers): each followed feed's health, and the partners' current alerts, each of which a
// dispatcher may relay to our own subscribers in its area — an explicit act, behind a confirmation step.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var feeds = document.getElementById("feeds");
  var list = document.getElementById("partner-alerts");
  var errorBox = document.getElementById("partners-error");

  function when(iso, precision) { return WhistleConsole.when(iso, precision || "minute"); }

  // Which partner is slow: a poll still running (since when), how long the last one took, whether its budget ran out.
  function lastPoll(p) {
    if (p.pollingSince) return C.t("c.partners.pollingSince") + " " + when(p.pollingSince, "exact");
    if (p.lastPollSeconds === null || p.lastPollSeconds === undefined) return "—";
    var text = C.t("c.partners.took").replace("{seconds}", String(p.lastPollSeconds));
    if (p.lastBudgetRanOut) text += " · " + C.t("c.partners.budgetRanOut");
    if (p.budgetRanOutCount) text += " · " + C.t("c.partners.budgetRuns") + ": " + p.budgetRanOutCount;
    return text;
  }

  function feedRow(p) {
    return C.el("tr", { "data-partner": p.name, "data-slow": p.pollingSince || p.lastBudgetRanOut ? "true" : "false" }, [
      C.el("th", { scope: "row", text: p.name + (p.privateNetwork ? " (" + C.t("c.partners.privateNetwork") + ")" : "") }),
      C.el("td", { text: when(p.lastSuccessAt) }),
      C.el("td", { text: p.lastError ? when(p.lastErrorAt) + " — " + p.lastError : "—" }),
      C.el("td", { text: String(p.errorCount) }),
      C.el("td", { text: String(p.imported) }),
      C.el("td", { className: "last-poll", text: lastPoll(p) }),
      C.el("td", { className: "timeouts", text: String(p.timeouts) }),
    ]);
  }

  function card(a) {
    var headingId = "pa-" + a.id;
    var li = C.el("li", { className: "card", "data-id": a.id, "aria-labelledby": headingId });
    li.appendChild(C.el("h3", { id: headingId, text: C.t("c.partners.from") + " " + a.partner + ": " + (a.headlines.en || Object.values(a.headlines)[0] || "") }));
    li.appendChild(C.el("p", { className: "meta", text: a.msgType + " · " + a.areaDesc + " · " + when(a.sent) + " → " + when(a.expiresAt) }));
    var status = C.el("p", { role: "status", className: "done" });
    li.appendChild(status);
    var box = C.el("div", { className: "inline" });
    li.appendChild(box);
    var error = C.el("p", { className: "form-error", role: "alert", "data-error-general": "" });
    li.appendChild(error);
    function relayed(by, at) {
      box.textContent = "";
      status.textContent = C.t("c.partners.relayedBy") + " " + by + " · " + when(at)
        + (a.changedSinceRelay ? " · " + C.t("c.partners.changed") : "");
    }
    hideControls(a, li, error);
    if (a.hiddenAt) return li;
    if (a.relayedAlertId) { relayed(a.relayedBy, a.relayedAt); return li; }
    var ask = C.el("button", { type: "button", className: "secondary", text: C.t("c.partners.relay") });
    box.appendChild(ask);
    ask.addEventListener("click", function () {
      box.textContent = "";
      var yes = C.el("button", { type: "button", className: "danger", text: C.t("c.partners.relayNow") });
      var no = C.el("button", { type: "button", className: "secondary", text: C.t("c.confirm.no") });
      box.appendChild(C.el("p", { text: C.t("c.partners.relayConfirm") }));
      box.appendChild(yes);
      box.appendChild(no);
      yes.focus();
      no.addEventListener("click", function () { box.textContent = ""; box.appendChild(ask); ask.focus(); });
      yes.addEventListener("click", async function () {
        yes.disabled = true;
        var res = await C.api("POST", "/api/v1/federation/alerts/" + a.id + "/relay");
        if (!res.ok) { yes.disabled = false; C.showProblem(li, res.problem, error); return; }
        error.textContent = "";
        relayed(C.t("c.partners.you"), new Date().toISOString());
        status.textContent += " · " + C.t("c.recipients") + ": " + res.data.recipients;
      });
    });
    return li;
  }

  // A dispatcher hides a partner's message from every public output, with a reason (issue 14 §2); or shows it again.
  function hideControls(a, li, error) {
    var box = C.el("div", { className: "inline hide-controls" });
    li.insertBefore(box, error);
    if (a.hiddenAt) {
      li.appendChild(C.el("p", { className: "meta", text: C.t("c.partners.hiddenBy") + " " + a.hiddenBy + " · " + when(a.hiddenAt) + " — " + a.hiddenReason }));
      var show = C.el("button", { type: "button", className: "secondary", text: C.t("c.partners.unhide") });
      box.appendChild(show);
      show.addEventListener("click", async function () {
        show.disabled = true;
        var res = await C.api("POST", "/api/v1/federation/alerts/" + a.id + "/unhide");
        if (!res.ok) { show.disabled = false; C.showProblem(li, res.problem, error); return; }
        load();
      });
      return;
    }
    var hide = C.el("button", { type: "button", className: "secondary", text: C.t("c.partners.hide") });
    box.appendChild(hide);
    hide.addEventListener("click", function () {
      box.textContent = "";
      var fid = "hide-" + a.id;
      var reason = C.el("input", { type: "text", id: fid, name: "reason", maxLength: 500, required: "" });
      var go = C.el("button", { type: "button", className: "danger", text: C.t("c.partners.hideNow") });
      var no = C.el("button", { type: "button", className: "secondary", text: C.t("c.confirm.no") });
      box.appendChild(C.el("div", { className: "field" }, [C.el("label", { for: fid, text: C.t("c.partners.hideReason") }), reason]));
      box.appendChild(go);
      box.appendChild(no);
      reason.focus();
      no.addEventListener("click", function () { box.textContent = ""; box.appendChild(hide); hide.focus(); });
      go.addEventListener("click", async function () {
        go.disabled = true;
        var res = await C.api("POST", "/api/v1/federation/alerts/" + a.id + "/hide", { reason: reason.value });
        if (!res.ok) { go.disabled = false; C.showProblem(li, res.problem, error); return; }
        load();
      });
    });
  }

  async function load() {
    var p = await C.api("GET", "/api/v1/federation/partners");
    var a = await C.api("GET", "/api/v1/federation/alerts");
    if (!p.ok || !a.ok) { C.showProblem(document, (p.ok ? a : p).problem, errorBox); return; }
    errorBox.textContent = "";
    feeds.textContent = "";
    if (!p.data.length) feeds.appendChild(C.el("tr", {}, [C.el("td", { colspan: "7", text: C.t("c.partners.none") })]));
    p.data.forEach(function (x) { feeds.appendChild(feedRow(x)); });
    // Only what the public sees (current, Actual, Public), each chain once: its latest message.
    // Hidden ones stay listed (current and from an enabled partner) so a dispatcher can see why, and show them again.
    var shown = a.data.filter(function (x) { return x.shown || (x.hiddenAt && x.state === "active" && x.partnerEnabled); });
    var busy = list.querySelector("[data-id] button.danger");
    if (busy) return; // a dispatcher is confirming a relay: do not redraw under them
    list.textContent = "";
    if (!shown.length) list.appendChild(C.el("li", { className: "none", text: C.t("c.partners.noAlerts") }));
    shown.forEach(function (x) { list.appendChild(card(x)); });
  }

  load();
  setInterval(load, 30000); // partner feeds are polled about once a minute on the server
})();
