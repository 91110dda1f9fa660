// Passkeys: navigator.credentials calls for /login (sign in), /sign-in/two-factor (a passkey as
// the second factor) and /preferences/passkeys (add).
// The forms post as ordinary form fields (csrf_token, credential as JSON) and get JSON back.
(() => {
  const b64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

  function showError(message) {
    const box = document.getElementById("passkey-error");
    if (box) { box.textContent = message; box.hidden = false; box.focus?.(); }
  }

  // Pages on API Gateway's own URL live under a path prefix (the stage): the server rewrites the
  // form's action, not data- attributes, so the prefix is what the action adds to data-route.
  function prefix(form) {
    const path = new URL(form.action, window.location.href).pathname;
    return path.endsWith(form.dataset.route) ? path.slice(0, -form.dataset.route.length) : "";
  }

  function go(form, answer) {
    window.location.assign(prefix(form) + answer.redirect);
  }

  async function post(url, form, extra) {
    const body = new URLSearchParams(new FormData(form));
    for (const [key, value] of Object.entries(extra || {})) body.set(key, value);
    const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = {}; }
    if (!response.ok) throw new Error(answer.error || "Something went wrong. Reload the page and try again.");
    return answer;
  }

  function credentialJSON(credential) {
    const r = credential.response;
    const response = { clientDataJSON: b64(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = b64(r.attestationObject);
      if (r.getTransports) response.transports = r.getTransports();
    } else {
      response.authenticatorData = b64(r.authenticatorData);
      response.signature = b64(r.signature);
      if (r.userHandle) response.userHandle = b64(r.userHandle);
    }
    return JSON.stringify({ id: credential.id, rawId: b64(credential.rawId), type: credential.type,
      response, clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined });
  }

  async function signIn(form) {
    const options = await post(form.action + "/options", form);
    const publicKey = { ...options, challenge: bytes(options.challenge),
      allowCredentials: (options.allowCredentials || []).map((c) => ({ ...c, id: bytes(c.id) })) };
    const credential = await navigator.credentials.get({ publicKey });
    const answer = await post(form.action, form, { credential: credentialJSON(credential) });
    go(form, answer);
  }

  async function register(form) {
    const options = await post(form.action + "/options", form);
    const publicKey = { ...options, challenge: bytes(options.challenge),
      user: { ...options.user, id: bytes(options.user.id) },
      excludeCredentials: (options.excludeCredentials || []).map((c) => ({ ...c, id: bytes(c.id) })) };
    const credential = await navigator.credentials.create({ publicKey });
    const answer = await post(form.action, form, { credential: credentialJSON(credential) });
    go(form, answer);
  }

  function wire(id, run) {
    const form = document.getElementById(id);
    if (!form) return;
    if (!window.PublicKeyCredential) {
      const unsupported = document.getElementById("passkey-unsupported");
      if (unsupported) { unsupported.hidden = false; form.hidden = true; }
      return;
    }
    form.hidden = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      const button = form.querySelector("button");
      button.disabled = true;
      run(form).catch((error) => {
        const cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
        showError(cancelled ? "The passkey request was cancelled or timed out. Try again." : error.message);
      }).finally(() => { button.disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    wire("passkey-sign-in", signIn);
    wire("passkey-second-factor", signIn);
    wire("passkey-register", register);
  });
})();
