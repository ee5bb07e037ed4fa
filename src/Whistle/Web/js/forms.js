// Problem details (RFC 7807) shown in a public form: each field's messages next to the field — in the
// visitor's language where the page has its own words (data-err-<field>), else the API's — and
// focus on the first field in error. Shared by the report and subscribe pages.
(function () {
  "use strict";
  function showError(field, messages) {
    var p = document.getElementById("err-" + field);
    if (!p) return false;
    p.hidden = !messages;
    p.textContent = messages ? messages.join(" ") : "";
    var input = document.getElementById(field) || document.getElementById("f-" + field);
    if (input) { if (messages) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid"); }
    return true;
  }

  function clear(root) {
    root.querySelectorAll(".error").forEach(function (p) { p.hidden = true; p.textContent = ""; });
    root.querySelectorAll("[aria-invalid]").forEach(function (e) { e.removeAttribute("aria-invalid"); });
  }

  // Places each field's messages; a field the page has no place for goes to unplaced(messages).
  // Returns whether any field was placed (the first of them has the focus).
  function showProblem(problem, texts, fieldOf, unplaced) {
    var first = null;
    Object.keys(problem.errors || {}).forEach(function (k) {
      var f = fieldOf(k);
      var mine = texts["err" + f.charAt(0).toUpperCase() + f.slice(1)];
      if (showError(f, mine ? [mine] : problem.errors[k])) { if (!first) first = f; }
      else unplaced(problem.errors[k]);
    });
    if (first) {
      var target = document.getElementById(first) || document.querySelector("#f-" + first + " input");
      if (target) target.focus();
    }
    return first !== null;
  }

  window.WhistleForms = { showError: showError, clear: clear, showProblem: showProblem };
})();
