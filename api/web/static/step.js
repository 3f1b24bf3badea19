// The audit page's step slider: show the step while it moves, open it when released.
// Without script the "Show" button does the same.
(function () {
  var slider = document.getElementById("step");
  if (!slider) return;
  var out = document.getElementById("step-out");
  slider.addEventListener("input", function () { out.textContent = slider.value + " / " + slider.max; });
  slider.addEventListener("change", function () { document.getElementById("step-form").submit(); });
})();
