// Site-wide behaviour that templates declare with data attributes instead of inline handlers,
// which the Content-Security-Policy refuses (script-src 'self': no onclick=, no javascript: URLs).
//   <form data-confirm="Question?">      asks before submitting
//   <a data-history-back href="…">        goes back in the browser's history (the href is the fallback)
//   <pre data-follow-log> + hx-target     stays scrolled to the bottom as htmx appends to it
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    const link = event.target.closest("a[data-history-back]");
    if (link && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    const target = event.detail.target;
    if (target && target.matches("[data-follow-log]")) {
      target.scrollTop = target.scrollHeight;
    }
  });
})();
