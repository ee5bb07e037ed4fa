// The receipt lookup (/evidence/receipt): a code → the state of the submission in words, and nothing else.
(function () {
  "use strict";
  var form = document.getElementById("lookup");
  if (!form) return;
  var d = form.dataset, out = document.getElementById("state"), input = document.getElementById("code");
  function say(text) { out.textContent = text; out.hidden = false; }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var code = input.value.replace(/[^0-9A-Za-z-]/g, "").slice(0, 40);
    if (!code) { say(d.stateUnknown); return; }
    fetch("/api/v1/submissions/receipt/" + encodeURIComponent(code), { headers: { accept: "application/json" } })
      .then(function (r) {
        if (r.status === 404) { say(d.stateUnknown); return; }
        if (r.status === 429) { say(d.tooMany); return; }
        if (!r.ok) { say(d.failed); return; }
        return r.json().then(function (body) {
          var key = "state" + String(body.state || "").charAt(0).toUpperCase() + String(body.state || "").slice(1);
          say(d[key] || d.failed);
        });
      }, function () { say(d.failed); });
  });
})();
