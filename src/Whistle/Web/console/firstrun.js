// The first-run checklist on an admin's console of a new network: each step done or to do, and where to do it.
// The name and time zone are set right here; the rest link to their pages or name the server settings.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  var box = document.getElementById("first-run");
  if (!box || !C.token() || C.roles().indexOf("admin") < 0) return;
  var list = document.getElementById("first-run-steps");
  var form = document.getElementById("first-run-network");
  var nameInput = document.getElementById("network-name"), zoneInput = document.getElementById("network-zone");

  function how(step) {
    var f = step.facts || {};
    switch (step.key) {
      case "templates": return C.t("c.setup.templates.how").replace("{count}", String(f.count));
      case "channels":
        return C.t("c.setup.channels.how") + " " + ["sms", "email", "push"].map(function (c) {
          return C.t("c.setup.channel." + c) + ": " + C.t(f[c] ? "c.setup.on" : "c.setup.off");
        }).join(" · ");
      default: return C.t("c.setup." + step.key + ".how");
    }
  }

  function render(data) {
    list.textContent = "";
    box.hidden = data.complete;
    data.steps.forEach(function (step) {
      var li = C.el("li", { "data-step": step.key, "data-done": String(step.done) }, [
        C.el("strong", { text: C.t("c.setup." + step.key) }),
        C.el("span", { className: step.done ? "done" : "todo", text: " — " + C.t(step.done ? "c.setup.done" : "c.setup.todo") }),
        C.el("p", { className: "meta", text: how(step) }),
      ]);
      if (step.link) li.appendChild(C.el("a", { href: step.link, text: C.t("c.setup.open") }));
      if (step.key === "network") {
        form.hidden = false;
        if (!nameInput.value) nameInput.value = (step.facts && step.facts.name) || "";
        if (!zoneInput.value) zoneInput.value = (step.facts && step.facts.timeZone) || "";
        li.appendChild(form);
      }
      list.appendChild(li);
    });
  }

  async function load() {
    var res = await C.api("GET", "/api/v1/setup");
    if (res.ok) render(res.data);
  }
  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    var res = await C.api("PUT", "/api/v1/setup/network", { name: nameInput.value, timeZone: zoneInput.value });
    if (!res.ok) { C.showProblem(form, res.problem); return; }
    C.clearProblem(form);
    load();
  });
  load();
})();
