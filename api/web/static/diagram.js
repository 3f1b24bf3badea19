// The diagram on a case, task, audit or process page: zoom (buttons, + - 0 keys) and pan (arrow keys).
// Without this script the page already shows it readable (no word under 10 px) in a scroll region the
// keyboard can focus; the script sizes it to the column as measured and adds the zoom.
(function () {
  var STEP = 1.25, PAN = 60, MIN_PX = 10;
  var KEYS = {"+": "in", "=": "in", "-": "out", "_": "out", "0": "fit"};
  document.querySelectorAll("[data-diagram]").forEach(function (figure) {
    var view = figure.querySelector(".diagram-scroll");
    var svg = view && view.querySelector("svg");
    var tools = figure.querySelector(".diagram-tools");
    if (!svg || !tools || !svg.viewBox.baseVal || !svg.viewBox.baseVal.width) return;
    var box = svg.viewBox.baseVal;
    var smallest = parseFloat(svg.getAttribute("data-smallest-text")) || 11;
    var readable = Math.ceil(MIN_PX / smallest * 1000) / 1000;  // the least zoom at which every word reads >= 10 px
    var out = tools.querySelector("output");
    var zoom = svg.width.baseVal.value / box.width;  // as the server drew it

    function room() {
      var style = getComputedStyle(view);
      return view.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    }
    function show(next) {
      next = Math.min(4, Math.max(0.05, next));
      var cx = (view.scrollLeft + view.clientWidth / 2) / zoom, cy = (view.scrollTop + view.clientHeight / 2) / zoom;
      zoom = next;
      svg.setAttribute("width", (box.width * zoom).toFixed(2));
      svg.setAttribute("height", (box.height * zoom).toFixed(2));
      view.scrollLeft = cx * zoom - view.clientWidth / 2;
      view.scrollTop = cy * zoom - view.clientHeight / 2;
      view.setAttribute("data-zoom", zoom.toFixed(3));
      out.textContent = Math.round(zoom * 100) + " %";
    }
    function act(what) {
      if (what === "in") show(zoom * STEP);
      else if (what === "out") show(zoom / STEP);
      else show(room() / box.width);  // fit: the whole width, for an overview
    }

    tools.hidden = false;
    show(Math.max(readable, Math.min(1, room() / box.width)));  // fitted, but never a word under 10 px
    view.scrollLeft = 0;
    view.scrollTop = 0;
    tools.addEventListener("click", function (event) {
      var button = event.target.closest("[data-zoom]");
      if (button) act(button.getAttribute("data-zoom"));
    });
    figure.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      if (KEYS[event.key] && (event.target === view || tools.contains(event.target))) {
        event.preventDefault();
        act(KEYS[event.key]);
        return;
      }
      var pan = {ArrowLeft: [-PAN, 0], ArrowRight: [PAN, 0], ArrowUp: [0, -PAN], ArrowDown: [0, PAN]}[event.key];
      if (!pan || event.target !== view) return;
      var wide = view.scrollWidth > view.clientWidth, tall = view.scrollHeight > view.clientHeight;
      if ((pan[0] && !wide) || (pan[1] && !tall)) return;  // nothing to pan that way: the page scrolls
      event.preventDefault();
      view.scrollBy(pan[0], pan[1]);
    });
  });
})();
