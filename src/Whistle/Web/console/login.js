// Staff login: e-mail and password, then — where the account has one — the second factor (a code from the
// authenticator app or a recovery code, or a passkey). The API's problem (wrong password, too many tries) is shown as it says.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  var form = document.getElementById("login");
  var codeField = document.getElementById("code-field");
  var passkey = document.getElementById("passkey-login");

  async function done(tokens) {
    // The session's tokens first, so /auth/me is asked with them.
    C.keep(tokens);
    var me = await C.api("GET", "/api/v1/auth/me");
    var roles = me.ok ? me.data.roles : [];
    C.save(tokens, roles);
    if (tokens.mustEnrol) { location.href = "/console/account"; return; }
    var next = new URLSearchParams(location.search).get("next");
    if (!C.isOwnPath(next)) next = C.canDispatch() ? "/console" : C.canDocument() ? "/console/incidents" : "/console/verify";
    location.href = next;
  }

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    C.clearProblem(form);
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var body = { email: form.email.value.trim(), password: form.password.value };
    var code = document.getElementById("code").value.trim();
    if (code) body.code = code;
    var res = await C.api("POST", "/api/v1/auth/login", body);
    if (res.ok && res.data && res.data.accessToken) { await done(res.data); return; }
    button.disabled = false;
    if (res.problem && res.problem.secondFactor) {
      codeField.hidden = false;
      C.showProblem(form, { detail: body.code ? C.t("c.account.codeWrong") : C.t("c.account.codeNeeded") });
      if (body.code) document.getElementById("code").value = "";
      document.getElementById("code").focus();
      return;
    }
    C.showProblem(form, res.problem || { detail: C.t("c.error.generic") });
    form.password.value = "";
    form.password.focus();
  });

  if (passkey && window.PublicKeyCredential && window.WhistlePasskeys) {
    passkey.hidden = false;
    passkey.addEventListener("click", async function () {
      C.clearProblem(form);
      var tokens = await window.WhistlePasskeys.login(form.email.value.trim());
      if (tokens.ok) { await done(tokens.data); return; }
      C.showProblem(form, tokens.problem || { detail: C.t("c.account.passkeyFailed") });
    });
  }
})();
