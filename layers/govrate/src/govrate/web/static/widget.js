// The Govrate evaluation module for online service platforms (docs/web-module.md):
//   <script src="https://<govrate>/w/widget.js" data-site-key="gw_…" data-item="<item code>" async></script>
// It asks Govrate whether this page's origin may embed the module for the site key (CORS), then
// renders the rating page in an iframe: in place (data-mode="inline", the default) or behind a
// button, in a modal dialog (data-mode="modal"). The page announces a submitted evaluation with a
// "govrate:submitted" event on the script element.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.fetch || !window.URL || !window.URLSearchParams) {
    return;
  }
  var base = new URL(".", script.src);
  var key = script.getAttribute("data-site-key") || "";
  var mode = script.getAttribute("data-mode") === "modal" ? "modal" : "inline";
  var query = new URLSearchParams();
  ["item", "ticket", "lang"].forEach(function (name) {
    var value = script.getAttribute("data-" + name);
    if (value) {
      query.set(name, value);
    }
  });

  function frameFor(config) {
    var frame = document.createElement("iframe");
    frame.src = config.frame_url;
    frame.title = config.title;
    frame.setAttribute("loading", "lazy");
    frame.style.cssText = "display:block;width:100%;min-height:32rem;border:0;color-scheme:normal";
    window.addEventListener("message", function (event) {
      if (event.origin !== base.origin || event.source !== frame.contentWindow || !event.data) {
        return;
      }
      if (event.data.type === "govrate:height" && event.data.height > 0) {
        frame.style.minHeight = "0";
        frame.style.height = event.data.height + "px";
      } else if (event.data.type === "govrate:submitted") {
        script.dispatchEvent(new CustomEvent("govrate:submitted", {bubbles: true}));
      }
    });
    return frame;
  }

  function place(node) {
    var target = script.getAttribute("data-target");
    var container = target ? document.getElementById(target) : null;
    if (container) {
      container.appendChild(node);
    } else {
      script.parentNode.insertBefore(node, script.nextSibling);
    }
  }

  function modal(config) {
    var open = document.createElement("button");
    open.type = "button";
    open.textContent = config.open_label;
    open.setAttribute("aria-haspopup", "dialog");
    open.className = "govrate-open";
    var dialog = document.createElement("dialog");
    dialog.className = "govrate-dialog";
    dialog.setAttribute("aria-label", config.title);
    dialog.style.cssText = "width:min(36rem,95vw);max-height:90vh;padding:0;border:0;border-radius:.8rem";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = config.close_label;
    close.style.cssText = "display:block;margin:.5rem .5rem .5rem auto;font:inherit";
    close.addEventListener("click", function () { dialog.close(); });
    dialog.appendChild(close);
    var frame = null;
    open.addEventListener("click", function () {
      if (!frame) {
        frame = frameFor(config);
        frame.removeAttribute("loading");
        dialog.appendChild(frame);
      }
      dialog.showModal();
    });
    place(open);
    document.body.appendChild(dialog);
  }

  fetch(new URL(encodeURIComponent(key) + "/config?" + query.toString(), base), {credentials: "omit"})
    .then(function (response) {
      if (!response.ok) {
        throw new Error("site key " + key + " refused for this page (" + response.status + ")");
      }
      return response.json();
    })
    .then(function (config) {
      if (mode === "modal") {
        modal(config);
      } else {
        place(frameFor(config));
      }
    })
    .catch(function (error) {
      if (window.console) {
        window.console.warn("Govrate evaluation module:", error.message);
      }
    });
})();
