// Dealer Administration: row menus (right-click or "Actions"), and action dialogs.
// Every action also works without this file: the menus are <details> and the
// dialog links open full pages.
(() => {
  const closeMenus = (except) => {
    document.querySelectorAll("details.row-menu[open]").forEach((menu) => {
      if (menu !== except) { menu.open = false; menu.classList.remove("at-pointer"); }
    });
  };

  document.addEventListener("contextmenu", (event) => {
    const row = event.target.closest("tr[data-row-menu]");
    if (!row) return;
    const menu = document.getElementById(row.dataset.rowMenu);
    if (!menu) return;
    event.preventDefault();
    closeMenus(menu);
    menu.open = true;
    menu.classList.add("at-pointer");
    const list = menu.querySelector(".menu-list");
    const x = Math.min(event.clientX, window.innerWidth - 260);
    const y = Math.min(event.clientY, window.innerHeight - 180);
    list.style.left = `${Math.max(x, 0)}px`;
    list.style.top = `${Math.max(y, 0)}px`;
    const first = list.querySelector("a");
    if (first) first.focus();
  });

  document.addEventListener("toggle", (event) => {
    const menu = event.target;
    if (menu.matches && menu.matches("details.row-menu") && menu.open) closeMenus(menu);
  }, true);

  document.addEventListener("click", (event) => {
    if (!event.target.closest("details.row-menu")) closeMenus(null);
  });

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = document.querySelector("details.row-menu[open]");
    if (open) {
      open.open = false;
      open.classList.remove("at-pointer");
      open.querySelector("summary").focus();
    }
  });

  // Drop-down filters apply as soon as an option is chosen (RIMSS); the form's own
  // "Filter" button does the same without this script.
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!(select instanceof HTMLSelectElement)) return;
    const form = select.closest("form[data-apply-on-change]");
    if (form) form.requestSubmit();
  });

  // ---------------------------------------------------------------- dialogs
  const dialog = document.getElementById("admin-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  const body = dialog.querySelector(".dialog-body");
  let opener = null;
  let reload = false;

  const show = (html) => {
    body.innerHTML = html;
    const focusable = body.querySelector("input:not([disabled]), button, a[href]");
    if (focusable) focusable.focus();
  };

  const partialUrl = (href) => {
    const url = new URL(href, window.location.href);
    url.searchParams.set("partial", "1");
    return url.toString();
  };

  document.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-dialog]");
    if (!link) return;
    event.preventDefault();
    opener = link.closest("details.row-menu")?.querySelector("summary") || link;
    closeMenus(null);
    const answer = await fetch(partialUrl(link.href), { credentials: "same-origin" });
    show(await answer.text());
    if (!dialog.open) dialog.showModal();
  });

  dialog.addEventListener("click", (event) => {
    const close = event.target.closest("[data-close]");
    if (!close) return;
    event.preventDefault();
    if (close.hasAttribute("data-reload")) reload = true;
    dialog.close();
  });

  dialog.addEventListener("close", () => {
    if (reload) { window.location.reload(); return; }
    if (opener) opener.focus();
  });

  dialog.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-processing]");
    if (!form) return;
    event.preventDefault();
    const status = form.querySelector(".processing");
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    if (status) status.textContent = "Processing…";
    const data = new URLSearchParams(new FormData(form));
    data.set("partial", "1");
    try {
      const answer = await fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
      show(await answer.text());
      if (answer.ok) reload = true;
    } catch (error) {
      if (status) status.textContent = "The request failed. Check your connection and try again.";
      if (button) button.disabled = false;
    }
  });
})();
