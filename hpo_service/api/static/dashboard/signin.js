/* Sign-in page: send the token as JSON (the session endpoint takes nothing else), then go on. */
"use strict";

(() => {
  const main = document.getElementById("main");
  const form = document.getElementById("signin-form");
  if (!form) return;
  const error = document.getElementById("signin-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const token = document.getElementById("token").value.trim();
    const response = await fetch(main.dataset.session, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ token }),
    });
    if (response.ok) {
      window.location.assign(main.dataset.next || main.dataset.home);
      return;
    }
    const body = await response.json().catch(() => ({}));
    error.textContent = body.detail || `${response.status} ${response.statusText}`;
  });
})();
