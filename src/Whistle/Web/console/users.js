// Admin: staff accounts — the list (contacts only as a masked hint), a new account (its password shown
// once), and one account's editor: role, language, home zone, duty, contact, disabled, a new password.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var body = document.getElementById("users");
  var errorBox = document.getElementById("users-error");
  var editor = document.getElementById("editor");
  var edit = document.getElementById("edit");
  var create = document.getElementById("create");
  var users = [];
  var editing = null;
  var opener = null;

  function zoneOptions(zones) {
    document.querySelectorAll(".zone-select").forEach(function (select) {
      zones.forEach(function (z) { select.appendChild(C.el("option", { value: String(z.id), text: z.name })); });
    });
  }

  function role(u) { return u.roles.map(function (r) { return C.t("c.users.role." + r); }).join(", "); }
  function contact(u) {
    if (!u.contact) return C.t("c.users.contact.none");
    var s = C.t("c.users.contact." + u.contact.channel) + " " + u.contact.hint;
    return u.contact.reachable ? s : s + " (" + C.t("c.users.unreachable") + ")";
  }
  function status(u) { return u.disabled ? C.t("c.users.disabled") : u.locked ? C.t("c.users.locked") : C.t("c.users.active"); }

  function row(u) {
    var button = C.el("button", { type: "button", className: "secondary", text: C.t("c.users.edit"), "aria-label": C.t("c.users.edit") + " " + u.email });
    button.addEventListener("click", function () { open(u, button); });
    return C.el("tr", { "data-email": u.email }, [
      C.el("td", { text: u.email }),
      C.el("td", { text: role(u) }),
      C.el("td", { text: u.language }),
      C.el("td", { text: u.homeZone || "—" }),
      C.el("td", { text: u.onDuty ? C.t("c.users.onDuty") : C.t("c.users.offDuty") }),
      C.el("td", { text: contact(u) }),
      C.el("td", { text: status(u), className: u.disabled ? "muted" : "" }),
      C.el("td", {}, [button]),
    ]);
  }

  async function load() {
    var res = await C.api("GET", "/api/v1/users");
    if (!res.ok) { C.showProblem(document, res.problem, errorBox); return; }
    errorBox.textContent = "";
    users = res.data;
    body.textContent = "";
    if (!users.length) body.appendChild(C.el("tr", {}, [C.el("td", { colspan: "8", text: C.t("c.users.none") })]));
    users.forEach(function (u) { body.appendChild(row(u)); });
  }

  function open(u, from) {
    editing = u;
    opener = from;
    C.clearProblem(edit);
    document.getElementById("e-done").textContent = "";
    document.getElementById("e-secret").hidden = true;
    document.getElementById("editor-title").textContent = C.t("c.users.editing") + ": " + u.email;
    edit.role.value = u.roles.indexOf("admin") >= 0 ? "admin" : u.roles.indexOf("dispatcher") >= 0 ? "dispatcher" : "verifier";
    edit.language.value = u.language;
    edit.homeZoneId.value = u.homeZoneId == null ? "" : String(u.homeZoneId);
    edit.onDuty.checked = u.onDuty;
    edit.disabled.checked = u.disabled;
    edit.channel.value = "keep";
    edit.address.value = "";
    document.getElementById("e-contact-now").textContent = contact(u);
    editor.hidden = false;
    document.getElementById("editor-title").focus();
  }

  function close() {
    editor.hidden = true;
    editing = null;
    if (opener && document.body.contains(opener)) opener.focus();
  }
  document.getElementById("e-close").addEventListener("click", close);

  edit.addEventListener("submit", async function (e) {
    e.preventDefault();
    if (!editing) return;
    var done = document.getElementById("e-done");
    done.textContent = "";
    var change = {
      role: edit.role.value, language: edit.language.value, onDuty: edit.onDuty.checked, disabled: edit.disabled.checked, clear: [],
    };
    if (edit.homeZoneId.value) change.homeZoneId = Number(edit.homeZoneId.value); else change.clear.push("homeZone");
    if (edit.channel.value === "remove") change.clear.push("contact");
    else if (edit.channel.value !== "keep") change.contact = { channel: edit.channel.value, address: edit.address.value };
    var res = await C.api("PUT", "/api/v1/users/" + encodeURIComponent(editing.id), change);
    if (!res.ok) { C.showProblem(edit, res.problem); return; }
    C.clearProblem(edit);
    editing = res.data;
    edit.channel.value = "keep";
    edit.address.value = "";
    document.getElementById("e-contact-now").textContent = contact(res.data);
    done.textContent = C.t("c.done");
    await load();
  });

  document.getElementById("e-password").addEventListener("click", async function () {
    if (!editing) return;
    var res = await C.api("POST", "/api/v1/users/" + encodeURIComponent(editing.id) + "/password");
    if (!res.ok) { C.showProblem(edit, res.problem); return; }
    document.getElementById("e-secret-value").textContent = res.data.password;
    document.getElementById("e-secret").hidden = false;
  });

  create.addEventListener("submit", async function (e) {
    e.preventDefault();
    var secret = document.getElementById("n-secret");
    secret.hidden = true;
    var req = { email: create.email.value, role: create.role.value, language: create.language.value };
    if (create.homeZoneId.value) req.homeZoneId = Number(create.homeZoneId.value);
    if (create.channel.value) req.contact = { channel: create.channel.value, address: create.address.value };
    var res = await C.api("POST", "/api/v1/users", req);
    if (!res.ok) { C.showProblem(create, res.problem); return; }
    C.clearProblem(create);
    document.getElementById("n-secret-who").textContent = C.t("c.users.created") + " " + res.data.user.email + " (" + role(res.data.user) + ").";
    document.getElementById("n-secret-value").textContent = res.data.password;
    secret.hidden = false;
    create.email.value = "";
    create.address.value = "";
    await load();
  });

  fetch("/api/v1/zones").then(function (r) { return r.json(); }).then(function (geo) {
    zoneOptions(geo.features.map(function (f) { return f.properties; })
      .sort(function (a, b) { return a.name.localeCompare(b.name); }));
  }).catch(function () { });
  load();
})();
