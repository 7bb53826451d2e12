// Keyward console enhancements. Every feature here has a plain-HTML
// fallback: forms post, links go to confirmation pages, switches are
// submit buttons. This file only makes them nicer.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // Selects marked data-autosubmit save on change.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.requestSubmit());
  }

  // Show: form[data-show="#field"] fetches the token (the same POST, asking
  // for JSON) and puts it in the field, instead of reloading the page.
  const reveal = async (form) => {
    const field = document.querySelector(form.dataset.show);
    if (!field) return null;
    if (field.dataset.revealed === "true") return field.value;
    const response = await fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) {
      form.submit();
      return null;
    }
    const data = await response.json();
    field.value = data.token;
    field.dataset.revealed = "true";
    // Text that quotes the token (the widget snippet) gets it too.
    for (const quoting of document.querySelectorAll(`[data-token-from="${form.dataset.show}"]`)) {
      quoting.value = quoting.value.replace(quoting.dataset.placeholder, data.token);
    }
    return data.token;
  };
  for (const form of document.querySelectorAll("form[data-show]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      reveal(form);
    });
  }

  // Copy buttons: data-copy-from="#id" copies that element's value/text;
  // with data-show-form, the token is fetched first if not yet shown.
  for (const button of document.querySelectorAll("[data-copy-from]")) {
    button.hidden = false;
    button.addEventListener("click", async (event) => {
      event.preventDefault();
      const source = document.querySelector(button.dataset.copyFrom);
      if (!source) return;
      const showForm = button.dataset.showForm && document.querySelector(button.dataset.showForm);
      if (showForm && source.dataset.revealed !== "true" && !(await reveal(showForm))) return;
      const text = "value" in source ? source.value : source.textContent.trim();
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        if ("select" in source) { source.type = "text"; source.select(); }
        document.execCommand("copy");
      }
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  }

  // View icon: data-reveal="#id" toggles a password field to text.
  for (const button of document.querySelectorAll("[data-reveal]")) {
    button.hidden = false;
    button.addEventListener("click", (event) => {
      event.preventDefault();
      const field = document.querySelector(button.dataset.reveal);
      if (!field) return;
      const show = field.type === "password";
      field.type = show ? "text" : "password";
      button.setAttribute("aria-pressed", String(show));
      button.title = show ? "Hide" : "Show";
    });
  }

  // Links to a confirmation page open the matching <dialog> instead.
  for (const link of document.querySelectorAll("a[data-dialog]")) {
    const dialog = document.querySelector(link.dataset.dialog);
    if (!dialog || typeof dialog.showModal !== "function") continue;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      dialog.showModal();
    });
  }
  for (const close of document.querySelectorAll("dialog [data-close]")) {
    close.addEventListener("click", (event) => {
      event.preventDefault();
      close.closest("dialog").close();
    });
  }

  // Forms marked data-confirm ask first, in a dialog (without JS the
  // server answers with a confirmation page instead). "%s" in the message
  // is the option the form's select now holds; Cancel puts it back.
  let confirmDialog = null;
  const ask = (form) => {
    if (!confirmDialog) {
      confirmDialog = document.createElement("dialog");
      confirmDialog.id = "confirm-dialog";
      confirmDialog.innerHTML =
        '<h2>Please confirm</h2><p class="confirm-message"></p>' +
        '<div class="dialog-actions"><button type="button" class="secondary" data-cancel>Cancel</button>' +
        '<button type="button" class="danger" data-confirm-yes></button></div>';
      document.body.append(confirmDialog);
    }
    const select = form.querySelector("select");
    const chosen = select ? select.options[select.selectedIndex].text : "";
    confirmDialog.querySelector(".confirm-message").textContent = form.dataset.confirm.replace("%s", chosen);
    const yes = confirmDialog.querySelector("[data-confirm-yes]");
    yes.textContent = form.dataset.confirmButton || "Confirm";
    const cancel = confirmDialog.querySelector("[data-cancel]");
    const done = (go) => {
      yes.onclick = cancel.onclick = confirmDialog.oncancel = null;
      confirmDialog.close();
      if (go) {
        const flag = document.createElement("input");
        flag.type = "hidden";
        flag.name = "confirmed";
        flag.value = "yes";
        form.append(flag);
        form.submit();
      } else if (select) {
        for (const option of select.options) option.selected = option.defaultSelected;
      }
    };
    yes.onclick = () => done(true);
    cancel.onclick = () => done(false);
    confirmDialog.oncancel = (event) => { event.preventDefault(); done(false); };
    confirmDialog.showModal();
  };
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (typeof HTMLDialogElement !== "function") return;
      event.preventDefault();
      ask(form);
    });
  }

  // A dialog rendered open by the server (a one-time reveal) becomes modal.
  for (const dialog of document.querySelectorAll("dialog[data-modal-open]")) {
    if (typeof dialog.showModal === "function") {
      dialog.removeAttribute("open");
      dialog.showModal();
    }
  }
});
