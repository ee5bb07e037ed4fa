// The staff console's shared helpers: the session's tokens (sessionStorage: gone when the tab closes; the access
// token lives 15 minutes and is refreshed before it expires, the refresh token is single-use),
// API calls that turn every RFC 7807 problem into a readable message next to its field, SignalR hubs,
// and the words of the page's language.
(function () {
  "use strict";
  var TOKEN = "whistle.token", ROLES = "whistle.roles", REFRESH = "whistle.refresh", EXPIRES = "whistle.expires";
  var texts = JSON.parse(document.getElementById("console-texts").textContent);

  function t(key) { return texts[key] || key; }
  // A count in words: "key.one" or "key.other" by the page language's rule (Ui.Plural in C#): English, Spanish and
  // Somali one for 1, other for the rest; Hmong has no grammatical plural.
  function pluralForm(n) { return document.documentElement.lang === "hmn" ? "other" : (n === 1 ? "one" : "other"); }
  function plural(key, n) { return t(key + "." + pluralForm(n)).replace("{n}", String(n)); }
  function token() { return sessionStorage.getItem(TOKEN); }
  function roles() { try { return JSON.parse(sessionStorage.getItem(ROLES) || "[]"); } catch (e) { return []; } }
  function canDispatch() { var r = roles(); return r.indexOf("dispatcher") >= 0 || r.indexOf("admin") >= 0; }
  function canDocument() { var r = roles(); return r.indexOf("documenter") >= 0 || r.indexOf("admin") >= 0; }
  // A path on this site only: "//host" and "/\host" (browsers read both as another host) and anything with a
  // control character or a scheme go nowhere, so a crafted ?next= cannot send a dispatcher elsewhere after login.
  function isOwnPath(p) {
    if (typeof p !== "string" || !/^\/(?![\/\\])/.test(p) || /[\u0000-\u001f\u007f]/.test(p)) return false;
    try { return new URL(p, location.origin).origin === location.origin; } catch (e) { return false; }
  }

  function forget() {
    [TOKEN, ROLES, REFRESH, EXPIRES].forEach(function (k) { sessionStorage.removeItem(k); });
  }

  // One refresh at a time: the refresh token is single-use, a second use would end the session.
  var refreshing = null;
  function refresh() {
    if (refreshing) return refreshing;
    var rt = sessionStorage.getItem(REFRESH);
    if (!rt) return Promise.resolve(false);
    refreshing = fetch("/api/v1/auth/refresh", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ refreshToken: rt })
    }).then(function (res) {
      if (!res.ok) { if (res.status === 401) forget(); return false; }
      return res.json().then(function (d) { keep(d); return true; });
    }).catch(function () { return false; }).finally(function () { refreshing = null; });
    return refreshing;
  }
  function keep(d) {
    sessionStorage.setItem(TOKEN, d.accessToken);
    sessionStorage.setItem(REFRESH, d.refreshToken);
    sessionStorage.setItem(EXPIRES, String(Date.now() + d.expiresIn * 1000));
  }
  // A token that expires within a minute is refreshed first.
  async function fresh() {
    var exp = Number(sessionStorage.getItem(EXPIRES) || 0);
    if (token() && exp && exp - Date.now() < 60000) await refresh();
    return token();
  }

  function toLogin() {
    location.href = "/console/login?next=" + encodeURIComponent(location.pathname + location.search);
  }
  function requireLogin() {
    if (token()) return true;
    toLogin();
    return false;
  }

  // extra: more request headers (e.g. Idempotency-Key), kept on the retry after a token refresh.
  async function api(method, url, body, retried, extra) {
    var headers = Object.assign({ "Accept": "application/json" }, extra || {});
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (url.indexOf("/auth/login") < 0 && await fresh()) headers["Authorization"] = "Bearer " + token();
    var res;
    try {
      res = await fetch(url, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      return { ok: false, status: 0, problem: { detail: t("c.error.network") } };
    }
    // An expired access token: refresh once and try again.
    if (res.status === 401 && !retried && url.indexOf("/auth/") < 0 && await refresh()) return api(method, url, body, true, extra);
    var data = null, text = await res.text();
    if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
    if (res.ok) return { ok: true, status: res.status, data: data };
    if (res.status === 401 && url.indexOf("/auth/login") < 0) {
      forget();
      toLogin();
    }
    // A role that needs a second factor, none set up yet: the account page sets one up.
    if (res.status === 403 && data && data.code === "second_factor_required" && location.pathname !== "/console/account") {
      location.href = "/console/account";
    }
    var problem = data && typeof data === "object" ? data : {};
    if (res.status >= 500) problem = { detail: t("c.error.generic") };
    else if (res.status === 403) problem = { detail: t("c.error.forbidden") };
    else if (!problem.detail && !problem.errors) problem.detail = problem.title || t("c.error.generic");
    return { ok: false, status: res.status, problem: problem };
  }

  function clearProblem(root) {
    root.querySelectorAll("[data-error-for], [data-error-general]").forEach(function (el) { el.textContent = ""; });
    root.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  // Each field's messages next to the field; anything without a place, and the detail, at the top.
  function showProblem(root, problem, general) {
    clearProblem(root);
    var rest = [];
    var errors = (problem && problem.errors) || {};
    Object.keys(errors).forEach(function (field) {
      var spot = root.querySelector('[data-error-for="' + field + '"]');
      var msg = [].concat(errors[field]).join(" ");
      if (spot) {
        spot.textContent = msg;
        var input = spot.id && root.querySelector('[aria-describedby~="' + spot.id + '"]');
        if (input) input.setAttribute("aria-invalid", "true");
      } else rest.push(msg);
    });
    if (problem && problem.detail) rest.unshift(problem.detail);
    var box = general || root.querySelector("[data-error-general]");
    if (box) box.textContent = rest.join(" ");
  }

  function hub(path) {
    return new signalR.HubConnectionBuilder()
      .withUrl(path, { accessTokenFactory: function () { return fresh().then(function (tk) { return tk || ""; }); } })
      .withAutomaticReconnect()
      .build();
  }

  var audio;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.15;
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.2);
    } catch (e) { /* no audio here */ }
  }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "className") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  // One clock (issue 12 §4): every time is shown in the network's zone (the page's <html data-tz>), never the
  // browser's, in the page's language, with the zone's name ("8:55 AM CST") so a reader elsewhere cannot misread it.
  function zone() { return document.documentElement.dataset.tz || "UTC"; }
  // A 24-hour clock outside English; Hmong has no calendar data in browsers (they fall back to English month names and
  // "PM"), so its dates are numeric.
  function format(iso, options) {
    var lang = document.documentElement.lang;
    var o = Object.assign({ timeZone: zone() }, options);
    if (lang !== "en" && o.hour) o.hourCycle = "h23";
    if (lang === "hmn" && o.month) { o.month = "2-digit"; if (o.day) o.day = "2-digit"; }
    try { return new Intl.DateTimeFormat(document.documentElement.lang, o).format(new Date(iso)); }
    catch (e) { return new Intl.DateTimeFormat("en", o).format(new Date(iso)); }
  }
  // The zone's name as North Americans write it ("CST", "CDT"; elsewhere "GMT+9"), whatever the page's language:
  // the same name the messages carry, so a reader compares like with like.
  function zoneName(iso) {
    var part = new Intl.DateTimeFormat("en-US", { timeZone: zone(), timeZoneName: "short" }).formatToParts(new Date(iso))
      .filter(function (x) { return x.type === "timeZoneName"; })[0];
    return part ? part.value : "";
  }

  // The neighbourhood a point is in, from the zones' GeoJSON (/api/v1/zones): its name, or null (ray casting).
  function inRing(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function zoneAt(geo, lat, lon) {
    if (!geo || !geo.features || lat == null || lon == null) return null;
    for (var k = 0; k < geo.features.length; k++) {
      var g = geo.features[k].geometry;
      if (!g) continue;
      var polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (var p = 0; p < polys.length; p++) {
        if (inRing(polys[p][0], lon, lat) && !polys[p].slice(1).some(function (h) { return inRing(h, lon, lat); }))
          return geo.features[k].properties.name;
      }
    }
    return null;
  }

  function time(iso) {
    return format(iso, { hour: "numeric", minute: "2-digit" }) + " " + zoneName(iso);
  }
  // A "datetime-local" value ("2024-03-15T10:00") read as the network's wall clock, not the browser's: the UTC instant.
  function fromZone(local) {
    if (!local) return null;
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
    if (!m) return local;
    var wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    var guess = wall;
    for (var i = 0; i < 2; i++) {
      var p = {};
      new Intl.DateTimeFormat("en-US", { timeZone: zone(), hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(guess)).forEach(function (x) { p[x.type] = +x.value; });
      var seen = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
      guess += wall - seen;
    }
    return new Date(guess).toISOString();
  }
  // A date and time no more precise than it is known: "day" → "March 15, 2024", "month" → "March 2024".
  function when(iso, precision) {
    if (!iso) return "\u2014";
    if (precision === "month") return format(iso, { year: "numeric", month: "long" });
    if (precision === "day") return format(iso, { year: "numeric", month: "long", day: "numeric" });
    var o = { year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" };
    if (precision === "exact") o.second = "2-digit";
    return format(iso, o) + " " + zoneName(iso);
  }

  // Links only an admin can use are shown to admins (the API refuses the rest anyway).
  if (roles().indexOf("admin") >= 0) document.querySelectorAll("[data-needs=admin]").forEach(function (a) { a.hidden = false; });
  if (canDispatch()) document.querySelectorAll("[data-needs=dispatch]").forEach(function (a) { a.hidden = false; });
  // Incident files: read by dispatchers, written by documenters (and admins).
  if (canDispatch() || canDocument()) document.querySelectorAll("[data-needs=incidents]").forEach(function (a) { a.hidden = false; });
  if (canDocument()) document.querySelectorAll("[data-needs=document]").forEach(function (a) { a.hidden = false; });

  var logout = document.getElementById("logout");
  // Logging out ends the session on the server too: its tokens stop working everywhere at once.
  if (logout) logout.addEventListener("click", async function () {
    logout.disabled = true;
    try { if (token()) await api("POST", "/api/v1/auth/logout"); } catch (e) { /* gone anyway */ }
    forget();
    location.href = "/console/login";
  });

  window.WhistleConsole = {
    t: t, plural: plural, token: token, roles: roles, canDispatch: canDispatch, canDocument: canDocument, isOwnPath: isOwnPath, requireLogin: requireLogin, api: api,
    showProblem: showProblem, clearProblem: clearProblem, hub: hub, beep: beep, el: el, time: time, when: when, zone: zone, fromZone: fromZone, zoneAt: zoneAt,
    activity: function (a) { return t("activity." + a); },
    state: function (s) { return t("c.state." + s); },
    // A history note: the ones Whistle itself writes are said in the reader's language; a person's own words are
    // shown as they wrote them, marked as not to be translated.
    note: function (n) {
      var m = /^alert cancelled: (all_clear|false_alarm)$/.exec(n);
      if (m) return el("span", { text: t("c.history.cancelled." + m[1]) });
      m = /^not verified within (\d+) minutes$/.exec(n);
      if (m) return el("span", { text: t("c.history.expired").replace("{minutes}", m[1]) });
      m = /^(placed|moved) by (pin|zone|gazetteer): (.*) \((-?[\d.]+), (-?[\d.]+)\)$/.exec(n);
      if (m) return el("span", {}, [t("c.history." + m[1]).replace("{how}", t("c.history.how." + m[2])).replace("{label}", ""),
        el("q", { translate: "no", text: m[3] }), " (" + m[4] + ", " + m[5] + ")"]);
      if (n === "alert sent to an area that does not contain the sighting's position (acknowledged)") return el("span", { text: t("c.history.outsideAck") });
      m = /^escalated: no answer in ([\d.]+) min, asked (.*)$/.exec(n);
      if (m) return el("span", {}, [t("c.history.escalated").replace("{minutes}", m[1]).replace("{who}", ""), el("span", { translate: "no", text: m[2] })]);
      m = /^escalation stopped: no answer in ([\d.]+) min and nobody left on duty to ask$/.exec(n);
      if (m) return el("span", { text: t("c.history.escalationNobody").replace("{minutes}", m[1]) });
      m = /^escalation stopped: no answer after (\d+) automatic rounds$/.exec(n);
      if (m) return el("span", { text: t("c.history.escalationRounds").replace("{rounds}", m[1]) });
      return el("q", { translate: "no", text: n });
    },
    save: function (tokens, r) { keep(tokens); sessionStorage.setItem(ROLES, JSON.stringify(r)); },
    keep: keep, forget: forget,
  };
})();
