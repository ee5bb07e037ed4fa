// Admin: where the key ring comes from, and "Destroy the keys" behind the network's name and the admin's password.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var form = document.getElementById("keys-destroy");
  var done = document.getElementById("k-done");

  function showSource(source) {
    document.querySelectorAll("[data-source]").forEach(function (p) { p.hidden = p.getAttribute("data-source") !== source; });
  }

  async function load() {
    var res = await C.api("GET", "/api/v1/keys");
    if (!res.ok) { C.showProblem(form, res.problem); return; }
    showSource(res.data.source);
    form.hidden = res.data.destroyed;
  }

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    var res = await C.api("POST", "/api/v1/keys/destroy", {
      confirmation: form.elements.confirmation.value, password: form.elements.password.value,
    });
    form.elements.password.value = "";
    if (!res.ok) { C.showProblem(form, res.problem); return; }
    C.clearProblem(form);
    form.hidden = true;
    var list = document.getElementById("k-wipe");
    list.replaceChildren();
    res.data.operatorMustWipe.forEach(function (w) {
      var li = document.createElement("li");
      li.textContent = w;
      list.appendChild(li);
    });
    done.hidden = false;
    showSource("destroyed");
  });

  load();
})();
