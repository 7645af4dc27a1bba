// Keyboard shortcuts of the review pages (help overlay: "?"). No inline script: the CSP allows
// same-origin files only.
(function () {
  "use strict";
  var help = function () { return document.getElementById("key-help"); };
  var rows = function () { return Array.prototype.slice.call(document.querySelectorAll("#review-queue tr[data-row]")); };
  var current = -1;

  function select(index) {
    var all = rows();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    var link = all[current].querySelector("a.item-link");
    if (link) link.focus();
  }

  function click(selector) {
    var element = document.querySelector(selector);
    if (element) { element.click(); return true; }
    return false;
  }

  function toggleHelp(show) {
    var overlay = help();
    if (!overlay) return;
    overlay.hidden = show === undefined ? !overlay.hidden : !show;
    if (!overlay.hidden) document.getElementById("key-help-close").focus();
  }

  document.addEventListener("click", function (event) {
    if (event.target && event.target.id === "key-help-close") toggleHelp(false);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) && target.type !== "checkbox";
    if (event.key === "Escape") { toggleHelp(false); if (typing) target.blur(); return; }
    if (typing) return;
    var key = event.key;
    var onQueue = rows().length > 0;
    var handled = true;
    if (key === "?") toggleHelp();
    else if (key === "/") {
      var search = document.querySelector("[data-key-focus='/']") || document.getElementById("id_q");
      if (search) search.focus(); else handled = false;
    } else if (key === "j") {
      if (onQueue) select(current + 1); else handled = click("#next-item");
    } else if (key === "k") {
      if (onQueue) select(current - 1); else handled = click("#previous-item");
    } else if (key === "x" && onQueue && current >= 0) {
      var box = rows()[current].querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
    } else if (/^[1-9]$/.test(key)) handled = click("[data-key-link='" + key + "']");
    else if (key === "c" || key === "d" || key === "u") handled = click("[data-key='" + key + "']");
    else handled = false;
    if (handled) event.preventDefault();
  });
})();
