// Stop alerts, as the owner of the address: POST /api/v1/subscriptions/unsubscribe sends a code to the address
// (the API answers the same whether or not the address was signed up), POST .../unsubscribe/confirm stops with it.
(function () {
  "use strict";
  var form = document.getElementById("unsubscribe");
  if (!form) return;
  var confirmForm = document.getElementById("unsub-confirm");
  var summary = document.getElementById("form-error");
  var err = document.getElementById("err-address");
  var confirmError = document.getElementById("confirm-error");
  var sent = null;

  function post(path, body) {
    return fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  }
  function problem(r) { return r.json().catch(function () { return {}; }); }

  function done() {
    form.hidden = true; confirmForm.hidden = true;
    var d = document.getElementById("done"); d.hidden = false; d.focus();
  }

  // This browser's alerts: the push subscription's own endpoint and keys are the proof; no code is needed.
  function stopPush() {
    if (!("serviceWorker" in navigator) || !("PushManager" in window)) return Promise.resolve(done());
    return navigator.serviceWorker.getRegistration("/").then(function (reg) {
      return reg ? reg.pushManager.getSubscription() : null;
    }).then(function (sub) {
      if (!sub) return done();
      var json = sub.toJSON();
      return post("/api/v1/subscriptions/unsubscribe", { channel: "webpush", address: json.endpoint, keys: json.keys })
        .then(function () { return sub.unsubscribe(); }).then(done);
    }).catch(function () { summary.textContent = form.dataset.failed; summary.hidden = false; });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    err.hidden = true; summary.hidden = true;
    form.elements.address.removeAttribute("aria-invalid");
    if (form.elements.channel.value === "webpush") { stopPush(); return; }
    var body = { channel: form.elements.channel.value, address: form.elements.address.value.trim() || null };
    post("/api/v1/subscriptions/unsubscribe", body).then(function (r) {
      if (r.ok) {
        sent = body;
        form.hidden = true; confirmForm.hidden = false;
        document.getElementById("unsub-confirm-title").focus();
        return;
      }
      return problem(r).then(function (p) {
        if (r.status === 429) { summary.textContent = form.dataset.tooMany; summary.hidden = false; return; }
        if (p.errors && p.errors.address) {
          err.textContent = p.errors.address.join(" "); err.hidden = false;
          form.elements.address.setAttribute("aria-invalid", "true"); form.elements.address.focus();
        } else { summary.textContent = p.detail || p.title || form.dataset.failed; summary.hidden = false; }
      });
    }, function () { summary.textContent = form.dataset.failed; summary.hidden = false; });
  });

  confirmForm.addEventListener("submit", function (e) {
    e.preventDefault();
    confirmError.hidden = true;
    post("/api/v1/subscriptions/unsubscribe/confirm", { channel: sent.channel, address: sent.address, code: confirmForm.elements.code.value.trim() })
      .then(function (r) {
        if (r.ok) { done(); return; }
        return problem(r).then(function (p) {
          var firstError = p.errors && Object.keys(p.errors).length ? p.errors[Object.keys(p.errors)[0]].join(" ") : null;
          confirmError.textContent = firstError || p.detail || p.title || form.dataset.failed;
          confirmError.hidden = false;
        });
      }, function () { confirmError.textContent = form.dataset.failed; confirmError.hidden = false; });
  });
})();
