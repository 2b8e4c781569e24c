// pipeprep's page script: keyboard sending, clearing the answer box, the phase clocks and
// keeping the newest message in view. htmx does the requests; this file only adds behaviour
// that markup cannot express. No eval, no inline handlers (the page's CSP forbids them).
(function () {
  "use strict";

  function form() { return document.getElementById("say"); }
  function answer() { return document.getElementById("answer"); }

  // Enter adds a line (the textarea's default); Ctrl+Enter or Cmd+Enter sends.
  document.addEventListener("keydown", function (e) {
    if (e.target === answer() && e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      var f = form();
      if (f && answer().value.trim() !== "") {
        f.requestSubmit(document.getElementById("send"));
      }
    }
  });

  function scrollLog() {
    var log = document.getElementById("log");
    if (log) { log.scrollTop = log.scrollHeight; }
    var last = log && log.lastElementChild;
    if (last && last.scrollIntoView && window.innerWidth < 900) {
      last.scrollIntoView({ block: "end" });
    }
  }

  document.addEventListener("htmx:afterRequest", function (e) {
    if (e.target !== form()) { return; }
    var err = document.getElementById("say-error");
    var ok = e.detail && e.detail.successful && e.detail.target && e.detail.target.id === "log";
    if (ok) {
      answer().value = "";
      if (err) { err.textContent = ""; }
      answer().focus();
    }
    scrollLog();
  });
  document.addEventListener("htmx:sseMessage", scrollLog);
  document.addEventListener("htmx:sseClose", function () {
    document.body.classList.remove("answering");
    scrollLog();
  });
  document.addEventListener("htmx:sseOpen", function () {
    document.body.classList.add("answering");
  });

  // The clocks count on from what the server said when it drew them.
  function tick() {
    var now = Date.now();
    var clocks = document.querySelectorAll(".clock[data-elapsed-ms]");
    for (var i = 0; i < clocks.length; i++) {
      var c = clocks[i];
      if (!c.dataset.t0) { c.dataset.t0 = String(now); }
      var ms = Number(c.dataset.elapsedMs) + (now - Number(c.dataset.t0));
      var s = Math.floor(ms / 1000);
      c.textContent = Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
      if (c.dataset.budgetMs && ms > Number(c.dataset.budgetMs)) {
        c.classList.add("over");
      }
    }
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", function () { tick(); scrollLog(); });
})();
