// Admin: the network's zones on a map, and an import from a GeoJSON file (sent as the body, as the API
// takes it); the answer's counts, or every fault the server found with its feature's number.
(function () {
  "use strict";
  var C = window.WhistleConsole;
  if (!C.requireLogin()) return;
  var count = document.getElementById("zone-count");
  var form = document.getElementById("import");
  var errorBox = document.getElementById("z-error");
  var result = document.getElementById("z-result");
  var map = L.map(document.getElementById("zones-map")).setView([44.9778, -93.265], 11);
  var layer = null;

  async function load() {
    try {
      var geo = await (await fetch("/api/v1/zones", { cache: "no-store" })).json();
      if (layer) map.removeLayer(layer);
      layer = L.geoJSON(geo, {
        style: { color: "#0b4f8a", weight: 1, fillOpacity: 0.08 },
        onEachFeature: function (f, l) { l.bindTooltip(Object.assign(document.createElement("span"), { textContent: f.properties.name })); },
      }).addTo(map);
      if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
      count.textContent = geo.features.length + " " + C.t("c.zones.count");
    } catch (e) {
      count.textContent = C.t("c.error.network");
    }
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return values[k] != null ? values[k] : m; });
  }

  function problem(p) {
    errorBox.textContent = "";
    var errors = (p && p.errors) || {};
    var spots = { file: "z-file-error", nameProperty: "z-name-error" };
    var list = C.el("ul", {});
    Object.keys(errors).forEach(function (k) {
      var msg = [].concat(errors[k]).join(" ");
      if (spots[k]) {
        document.getElementById(spots[k]).textContent = msg;
        form.querySelector('[aria-describedby~="' + spots[k] + '"]').setAttribute("aria-invalid", "true");
      } else list.appendChild(C.el("li", { text: msg }));
    });
    if (p && p.title) errorBox.appendChild(C.el("p", { text: p.title + "." }));
    if (list.childNodes.length) errorBox.appendChild(list);
    else if (p && p.detail) errorBox.appendChild(C.el("p", { text: p.detail }));
  }

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    C.clearProblem(form);
    errorBox.textContent = "";
    result.textContent = "";
    var file = form.file.files[0];
    if (!file) { problem({ errors: { file: [C.t("c.zones.noFile")] } }); return; }
    var url = "/api/v1/zones/import" + (form.nameProperty.value.trim() ? "?nameProperty=" + encodeURIComponent(form.nameProperty.value.trim()) : "");
    var res, data = null;
    try {
      res = await fetch(url, {
        method: "POST", body: await file.text(),
        headers: { "Content-Type": "application/geo+json", "Accept": "application/json", "Authorization": "Bearer " + C.token() },
      });
      var text = await res.text();
      if (text) { try { data = JSON.parse(text); } catch (x) { data = null; } }
    } catch (x) {
      problem({ detail: C.t("c.error.network") });
      return;
    }
    if (res.status === 401) {
      sessionStorage.removeItem("whistle.token");
      location.href = "/console/login?next=" + encodeURIComponent(location.pathname);
      return;
    }
    if (!res.ok) {
      problem(res.status === 403 ? { detail: C.t("c.error.forbidden") } : res.status >= 500 ? { detail: C.t("c.error.generic") } : data || { detail: C.t("c.error.generic") });
      return;
    }
    var lines = [fill(C.t("c.zones.result"), data)];
    if (data.repaired) lines.push(fill(C.t("c.zones.repaired"), data));
    if (data.note) lines.push(data.note);
    result.textContent = lines.join(" ");
    await load();
  });

  load();
})();
