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
  document.addEventListener("htmx:sendError", () => {
    toast(document.documentElement.lang === "en" ? "The server cannot be reached." : "无法连接服务器，请检查网络。");
  });
})();
