/* fieldkit workspace: draw each indicator chart of the page with the vendored Vega libraries.
 *
 * The chart's Vega-Lite specification (built on the server, data included) is the JSON of the
 * figure's data-spec attribute (the CSP allows no inline script, not even data). Vega runs
 * with vega-embed's `ast: true`: expressions are interpreted, never evaluated, as the
 * workspace's Content-Security-Policy (no eval, no inline style) requires. The figure's PNG and
 * SVG buttons save the drawn chart with view.toImageURL.
 */
(function () {
  "use strict";

  function save(url, name) {
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
  }

  function draw(figure) {
    var target = figure.querySelector(".chart");
    if (!target || typeof vegaEmbed !== "function") {
      return;
    }
    var spec = JSON.parse(figure.dataset.spec);
    var options = {
      ast: true,
      actions: false,
      renderer: "svg",
      defaultStyle: false,
      tooltip: { disableDefaultStyle: true },
    };
    vegaEmbed(target, spec, options)
      .then(function (result) {
        figure.querySelectorAll("button[data-export]").forEach(function (button) {
          button.disabled = false;
          button.addEventListener("click", function () {
            var format = button.dataset.export;
            result.view.toImageURL(format, format === "png" ? 2 : 1).then(function (url) {
              save(url, figure.dataset.name + "." + format);
            });
          });
        });
        figure.classList.add("drawn");
      })
      .catch(function (error) {
        target.textContent = figure.dataset.failed || "";
        figure.classList.add("failed");
        console.error(error);
      });
  }

  function start() {
    document.querySelectorAll("figure[data-spec]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
