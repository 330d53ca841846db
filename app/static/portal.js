// County Portal: small glue for HTMX. The CSRF token is read from its cookie for every request,
// so it is never stale; errors are shown, never swallowed.
(function () {
  function cookie(name) {
    const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }
  function toast(message) {
    const box = document.getElementById("toast");
    if (!box) { alert(message); return; }
    box.textContent = message;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(() => { box.hidden = true; }, 8000);
  }
  // A 400/422 answer is the form again with its message: show it in place. Other errors: a toast.
  document.addEventListener("DOMContentLoaded", () => {
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "400|422", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];
  });
  document.addEventListener("htmx:configRequest", (event) => {
    const token = cookie("csrftoken");
    if (token) event.detail.headers["x-csrftoken"] = token;
  });
  document.addEventListener("htmx:responseError", (event) => {
    const text = (event.detail.xhr.responseText || "").trim();
    toast(text && text.length < 500 ? text : (document.documentElement.lang === "en"
      ? "The request failed (" + event.detail.xhr.status + ")."
      : "操作未能完成（" + event.detail.xhr.status + "）。"));
  });
  // Print buttons (the CSP allows no inline handlers).
  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) window.print();
  });
  // Opening a cycle: the weights' total as they are typed.
  function weightTotal(form) {
    let sum = 0;
    form.querySelectorAll("input.weight").forEach((i) => { sum += Number(i.value) || 0; });
    const out = document.getElementById("weight-sum");
    out.textContent = sum;
    out.classList.toggle("bad", sum !== 100);
  }
  // "我要评分" by dimension: the sum of 德 能 勤 绩 廉 as it is typed (the server checks again).
  function dimensionSum(row) {
    let sum = 0, complete = true;
    row.querySelectorAll("input.dim").forEach((input) => {
      if (input.value === "" || !input.checkValidity()) complete = false;
      else sum += Math.round(Number(input.value) * 100);
    });
    row.querySelector("output.sum").textContent = complete ? (sum / 100).toFixed(2) : "—";
  }
  document.addEventListener("input", (event) => {
    const form = event.target.closest("#open-cycle-form");
    if (form) weightTotal(form);
    const row = event.target.closest("tr[data-dims]");
    if (row) dimensionSum(row);
  });
  document.addEventListener("htmx:load", (event) => {
    const form = event.detail.elt.querySelector ? event.detail.elt.querySelector("#open-cycle-form") : null;
    if (form) weightTotal(form);
  });
  // A change that worked: the server's portal:saved event (HX-Trigger) says what, and how to undo it.
  // The undo is a real form POST (the CSRF token from its cookie), so the page reloads with the result.
  function confirmation(message, undo) {
    const box = document.getElementById("done");
    if (!box) return;
    box.replaceChildren();
    const text = document.createElement("span");
    text.textContent = message;
    box.append(text);
    if (undo) {
      const url = new URL(undo, window.location.origin);
      const form = document.createElement("form");
      form.method = "post";
      form.action = url.pathname;
      form.className = "inline";
      const fields = [["_csrf_token", cookie("csrftoken")], ...url.searchParams.entries()];
      fields.forEach(([name, value]) => {
        const input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.append(input);
      });
      const button = document.createElement("button");
      button.className = "link";
      button.textContent = box.dataset.undoLabel;
      form.append(button);
      box.append(" ", form);
    }
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(() => { box.hidden = true; }, undo ? 15000 : 6000);
  }
  document.addEventListener("portal:saved", (event) => confirmation(event.detail.message, event.detail.undo));
  // A confirmation the page came with (after a redirect) fades like the others.
  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("done");
    if (box && !box.hidden) box._timer = setTimeout(() => { box.hidden = true; }, 15000);
  });
  // The "更多" menu (a <details>): Escape or a click elsewhere closes it.
  function closeMenus(except) {
    document.querySelectorAll("details.more[open]").forEach((menu) => { if (menu !== except) menu.open = false; });
  }
  document.addEventListener("click", (event) => closeMenus(event.target.closest("details.more")));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    const open = document.querySelector("details.more[open]");
    if (open) { open.open = false; open.querySelector("summary").focus(); }
  });
  // A refusal that is not a form to swap in (the server says so with HX-Reswap: none).
  document.addEventListener("portal:message", (event) => toast(event.detail.value));
  document.addEventListener("htmx:sendError", () => {
    toast(document.documentElement.lang === "en" ? "The server cannot be reached." : "无法连接服务器，请检查网络。");
  });
})();
