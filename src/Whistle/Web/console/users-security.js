// The admin's security controls on the users page: end a person's sessions, reset their second factor (a lost
// phone), and which roles must log in with a second factor.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  var edit = document.getElementById("edit");
  var title = document.getElementById("editor-title");

  // The person being edited: users.js keeps it; the e-mail in the title finds their id in the list.
  async function editedId() {
    var list = await C.api("GET", "/api/v1/users");
    if (!list.ok) return null;
    var text = title.textContent;
    var u = list.data.find(function (x) { return text.endsWith(": " + x.email); });
    return u ? u.id : null;
  }

  async function act(path, method) {
    var id = await editedId();
    if (!id) return;
    var res = await C.api(method, "/api/v1/users/" + encodeURIComponent(id) + path);
    if (!res.ok) { C.showProblem(edit, res.problem); return; }
    document.getElementById("e-done").textContent = C.t("c.done");
  }
  document.getElementById("e-end-sessions").addEventListener("click", function () { act("/sessions", "DELETE"); });
  document.getElementById("e-reset-factor").addEventListener("click", function () { act("/second-factor/reset", "POST"); });

  var policy = document.getElementById("policy");
  C.api("GET", "/api/v1/second-factor-policy").then(function (res) {
    if (!res.ok) return;
    policy.querySelectorAll("input[name=role]").forEach(function (box) { box.checked = res.data.roles.indexOf(box.value) >= 0; });
  });
  policy.addEventListener("submit", async function (e) {
    e.preventDefault();
    var roles = [];
    policy.querySelectorAll("input[name=role]:checked").forEach(function (box) { roles.push(box.value); });
    var res = await C.api("PUT", "/api/v1/second-factor-policy", { roles: roles });
    if (!res.ok) { C.showProblem(policy, res.problem); return; }
    document.getElementById("policy-done").textContent = C.t("c.done");
  });
})();
