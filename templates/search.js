// Starts Pagefind's search UI in #search; the page says where the index is and
// under which path the site is published, so that results link correctly.
window.addEventListener("DOMContentLoaded", function () {
  var element = document.getElementById("search");
  if (!element || typeof PagefindUI === "undefined") return;
  new PagefindUI({
    element: "#search",
    bundlePath: element.dataset.bundlePath,
    baseUrl: element.dataset.baseUrl,
    showImages: false,
    showSubResults: false,
    autofocus: true
  });
  // Give Pagefind's input the page's visible label, as it has none of its own.
  (function label() {
    var input = element.querySelector("input[type=text], input[type=search], input:not([type])");
    if (input) input.setAttribute("aria-labelledby", "search-label");
    else window.requestAnimationFrame(label);
  })();
});
