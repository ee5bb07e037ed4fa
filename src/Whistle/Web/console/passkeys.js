// Passkeys (WebAuthn): the server's options (base64url binary fields) become the browser's ArrayBuffers, and the
// browser's credential goes back as JSON. register() adds one to the logged-in account; login() logs in with one.
(function () {
  "use strict";
  var C = window.WhistleConsole;

  function toBytes(b64url) {
    var s = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (d) { return { type: d.type, id: toBytes(d.id), transports: d.transports }; });
  }

  async function register() {
    var begin = await C.api("POST", "/api/v1/auth/passkeys/options");
    if (!begin.ok) return begin;
    var o = begin.data.options;
    var publicKey = {
      rp: o.rp, user: { id: toBytes(o.user.id), name: o.user.name, displayName: o.user.displayName },
      challenge: toBytes(o.challenge), pubKeyCredParams: o.pubKeyCredParams, timeout: o.timeout,
      attestation: o.attestation, authenticatorSelection: o.authenticatorSelection,
      excludeCredentials: descriptors(o.excludeCredentials),
    };
    var cred;
    try { cred = await navigator.credentials.create({ publicKey: publicKey }); }
    catch (e) { return { ok: false, problem: { detail: C.t("c.account.passkeyFailed") } }; }
    var response = {
      id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        attestationObject: toB64url(cred.response.attestationObject), clientDataJSON: toB64url(cred.response.clientDataJSON),
        transports: cred.response.getTransports ? cred.response.getTransports() : [],
      },
    };
    return C.api("POST", "/api/v1/auth/passkeys", { state: begin.data.state, response: response, name: C.t("c.account.passkeyName") });
  }

  async function login() {
    var begin = await C.api("POST", "/api/v1/auth/passkey/options");
    if (!begin.ok) return begin;
    var o = begin.data.options;
    var cred;
    try {
      cred = await navigator.credentials.get({ publicKey: {
        challenge: toBytes(o.challenge), timeout: o.timeout, rpId: o.rpId,
        allowCredentials: descriptors(o.allowCredentials), userVerification: o.userVerification,
      } });
    } catch (e) { return { ok: false, problem: { detail: C.t("c.account.passkeyFailed") } }; }
    var response = {
      id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        authenticatorData: toB64url(cred.response.authenticatorData), clientDataJSON: toB64url(cred.response.clientDataJSON),
        signature: toB64url(cred.response.signature), userHandle: cred.response.userHandle ? toB64url(cred.response.userHandle) : null,
      },
    };
    return C.api("POST", "/api/v1/auth/passkey/login", { state: begin.data.state, response: response });
  }

  window.WhistlePasskeys = { register: register, login: login };
})();
