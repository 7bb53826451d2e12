/* Keyward's embeddable live count. Put this where the count should show:
 *
 *   <script src="https://keyward.example.com/widget.js" async
 *           data-campaign="spring" data-token="kw_pub_…"
 *           data-label="people signed up" data-theme="light" data-accent="#3b4cca"></script>
 *
 * It adds a small frame showing the campaign's lead count (no personal
 * data), which refreshes itself. Optional: data-status (count one status),
 * data-label, data-theme (light, dark or transparent), data-accent (#rrggbb),
 * data-width and data-height (pixels). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.dataset.campaign || !script.dataset.token) return;
  var d = script.dataset;
  var params = new URLSearchParams({ token: d.token });
  ["label", "theme", "accent", "status"].forEach(function (k) { if (d[k]) params.set(k, d[k]); });
  var frame = document.createElement("iframe");
  frame.src = new URL(script.src).origin + "/widget/" + encodeURIComponent(d.campaign) + "?" + params.toString();
  frame.title = d.label || "Live count";
  frame.loading = "lazy";
  frame.setAttribute("scrolling", "no");
  frame.style.border = "0";
  frame.style.background = "transparent";
  frame.style.width = (parseInt(d.width, 10) || 320) + "px";
  frame.style.maxWidth = "100%";
  frame.style.height = (parseInt(d.height, 10) || 90) + "px";
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
