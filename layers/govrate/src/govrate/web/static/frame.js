// Inside the web module's iframe: tell the embedding page how tall the content is, and when an
// evaluation was submitted. Only sizes and that fact cross the frame, so any origin may hear them.
(function () {
  "use strict";
  if (window.parent === window) {
    return;
  }
  function send(message) {
    window.parent.postMessage(message, "*");
  }
  function height() {
    send({type: "govrate:height", height: Math.ceil(document.body.getBoundingClientRect().height)});
  }
  height();
  window.addEventListener("load", height);
  if (window.ResizeObserver) {
    new ResizeObserver(height).observe(document.body);
  }
  if (document.querySelector("[data-submitted]")) {
    send({type: "govrate:submitted"});
  }
})();
