// Stop alerts: POST /api/v1/subscriptions/unsubscribe (the API answers the same whether or not the address was signed up).
(function () {
  "use strict";
  var form = document.getElementById("unsubscribe");
  if (!form) return;
  var summary = document.getElementById("form-error");
  var err = document.getElementById("err-address");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    err.hidden = true; summary.hidden = true;
    form.elements.address.removeAttribute("aria-invalid");
    fetch("/api/v1/subscriptions/unsubscribe", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ channel: form.elements.channel.value, address: form.elements.address.value.trim() || null }) })
      .then(function (r) {
        if (r.ok) { form.hidden = true; var done = document.getElementById("done"); done.hidden = false; done.focus(); return; }
        return r.json().catch(function () { return {}; }).then(function (p) {
          if (r.status === 429) { summary.textContent = form.dataset.tooMany; summary.hidden = false; return; }
          if (p.errors && p.errors.address) {
            err.textContent = p.errors.address.join(" "); err.hidden = false;
            form.elements.address.setAttribute("aria-invalid", "true"); form.elements.address.focus();
          } else { summary.textContent = p.detail || p.title || form.dataset.failed; summary.hidden = false; }
        });
      }, function () { summary.textContent = form.dataset.failed; summary.hidden = false; });
  });
})();
