// One's own account: the authenticator app (set up, recovery codes), passkeys, and the sessions (end any of them).
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var error = document.getElementById("account-error");

  function fail(res) { C.showProblem(document.body, res.problem || { detail: C.t("c.error.generic") }, error); }

  function when(iso) {
    return WhistleConsole.when(iso, "minute");
  }

  // The latest load wins: the first one (at page load) may answer after the one a new passkey started, and must not
  // redraw the list without it.
  var loads = 0;
  async function load() {
    var mine = ++loads;
    var state = await C.api("GET", "/api/v1/auth/second-factor");
    if (mine !== loads) return;
    if (!state.ok) { fail(state); return; }
    var s = state.data;
    document.getElementById("enrol-notice").hidden = !s.mustEnrol;
    document.getElementById("totp-status").textContent = s.totp ? C.t("c.account.totpOn") : C.t("c.account.totpOff");
    document.getElementById("totp-start").hidden = s.totp;
    document.getElementById("recovery-new").hidden = !s.totp;
    var keys = document.getElementById("passkey-list");
    keys.replaceChildren();
    s.passkeys.forEach(function (k) {
      var remove = C.el("button", { type: "button", className: "secondary", text: C.t("c.account.remove") });
      remove.addEventListener("click", async function () {
        var r = await C.api("DELETE", "/api/v1/auth/passkeys/" + k.id);
        if (r.ok) load(); else fail(r);
      });
      keys.appendChild(C.el("li", {}, [k.name + " — " + when(k.createdAt) + " ", remove]));
    });
    document.getElementById("passkey-add").hidden = !(window.PublicKeyCredential && window.WhistlePasskeys);

    var sessions = await C.api("GET", "/api/v1/auth/sessions");
    if (mine !== loads) return;
    if (!sessions.ok) { fail(sessions); return; }
    var list = document.getElementById("session-list");
    list.replaceChildren();
    sessions.data.forEach(function (x) {
      var item = C.el("li", {}, [x.client + " — " + C.t("c.account.since") + " " + when(x.createdAt) + ", " + C.t("c.account.lastUsed") + " " + when(x.lastUsedAt) + " "]);
      if (x.current) item.appendChild(C.el("strong", { text: C.t("c.account.thisSession") }));
      else {
        var end = C.el("button", { type: "button", className: "secondary", text: C.t("c.account.end") });
        end.addEventListener("click", async function () {
          var r = await C.api("DELETE", "/api/v1/auth/sessions/" + x.id);
          if (r.ok) load(); else fail(r);
        });
        item.appendChild(end);
      }
      list.appendChild(item);
    });
  }

  function showCodes(codes) {
    var ul = document.getElementById("recovery-codes");
    ul.replaceChildren();
    codes.forEach(function (c) { ul.appendChild(C.el("li", {}, [C.el("code", { text: c })])); });
    document.getElementById("recovery").hidden = false;
  }

  document.getElementById("totp-start").addEventListener("click", async function () {
    var r = await C.api("POST", "/api/v1/auth/totp/setup");
    if (!r.ok) { fail(r); return; }
    document.getElementById("totp-key").textContent = r.data.key.replace(/(.{4})/g, "$1 ").trim();
    document.getElementById("totp-uri").textContent = r.data.uri;
    document.getElementById("totp-setup").hidden = false;
    document.getElementById("totp-start").hidden = true;
    document.getElementById("totp-code").focus();
  });

  var setup = document.getElementById("totp-setup");
  setup.addEventListener("submit", async function (e) {
    e.preventDefault();
    var r = await C.api("POST", "/api/v1/auth/totp/enable", { code: setup.code.value.trim() });
    if (!r.ok) { C.showProblem(setup, r.problem); return; }
    setup.hidden = true;
    showCodes(r.data.codes);
    load();
  });

  document.getElementById("recovery-new").addEventListener("click", async function () {
    var r = await C.api("POST", "/api/v1/auth/recovery-codes");
    if (r.ok) showCodes(r.data.codes); else fail(r);
  });

  document.getElementById("passkey-add").addEventListener("click", async function () {
    var r = await window.WhistlePasskeys.register();
    if (r.ok) load(); else fail(r);
  });

  load();
})();
