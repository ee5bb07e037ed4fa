// Staff login: e-mail and password for a bearer token; the API's problem (wrong password, locked out) is shown as it says.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  var form = document.getElementById("login");
  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    C.clearProblem(form);
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var res = await C.api("POST", "/api/v1/auth/login", { email: form.email.value.trim(), password: form.password.value });
    if (res.ok && res.data && res.data.accessToken) {
      var token = res.data.accessToken;
      sessionStorage.setItem("whistle.token", token);
      var me = await C.api("GET", "/api/v1/auth/me");
      var roles = me.ok ? me.data.roles : [];
      C.save(token, roles);
      var next = new URLSearchParams(location.search).get("next");
      if (!next || next.charAt(0) !== "/" || next.charAt(1) === "/") next = C.canDispatch() ? "/console" : C.canDocument() ? "/console/incidents" : "/console/verify";
      location.href = next;
      return;
    }
    button.disabled = false;
    C.showProblem(form, res.problem || { detail: C.t("c.error.generic") });
    form.password.value = "";
    form.password.focus();
  });
})();
