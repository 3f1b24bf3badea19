// The audit page's step slider: show the step while it moves; a drag with the mouse or a finger
// opens the step when released. Arrow keys only move the slider (a page load per key press would
// throw a keyboard user back to the top): Enter or the "Show" button opens the step, as without script.
(function () {
  var slider = document.getElementById("step");
  if (!slider) return;
  var out = document.getElementById("step-out");
  var form = document.getElementById("step-form");
  var pointer = false;
  slider.addEventListener("input", function () { out.textContent = slider.value + " / " + slider.max; });
  slider.addEventListener("pointerdown", function () { pointer = true; });
  slider.addEventListener("keydown", function (e) {
    pointer = false;
    if (e.key === "Enter") { e.preventDefault(); form.submit(); }
  });
  slider.addEventListener("change", function () { if (pointer) form.submit(); });
})();

// A refused task form: the page opens on the first faulty cell by itself (autofocus, no script needed);
// when no cell is at fault (a rule about the whole form), the error summary takes the focus instead,
// so a screen reader reads why before anything else.
(function () {
  var summary = document.getElementById("form-errors");
  if (summary && !document.querySelector("[autofocus]")) summary.focus();
})();
