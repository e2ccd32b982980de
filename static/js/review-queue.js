/* Review queue: "all on this page" ticks every application row (the table is swapped by htmx,
   so the listener sits on the document). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "select-all") {
      document.querySelectorAll("#applications input[name=ids]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
  });
})();
