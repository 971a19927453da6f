// The evaluation device of a window: it asks for the window's current transaction, offers it for
// rating, resets after a rating or when left untouched, and ignores presses that come too soon
// after the one before (a double tap, a hand resting on the screen).
(function () {
  "use strict";
  var root = document.getElementById("kiosk");
  var config = {
    transactionUrl: root.getAttribute("data-transaction-url"),
    submitUrl: root.getAttribute("data-submit-url"),
    pollMs: Number(root.getAttribute("data-poll-ms")),
    idleMs: Number(root.getAttribute("data-idle-ms")),
    debounceMs: Number(root.getAttribute("data-debounce-ms")),
    thanksMs: Number(root.getAttribute("data-thanks-ms"))
  };
  var HANDLED = "govrate-kiosk-handled";
  var screens = ["idle", "prompt", "done"];
  var levels = Array.prototype.slice.call(root.querySelectorAll("button[data-level]"));
  var reasons = document.getElementById("kiosk-reasons");
  var submit = document.getElementById("kiosk-submit");
  var qr = document.getElementById("kiosk-qr");
  var current = null;
  var chosen = null;
  var sending = false;
  var lastPress = -Infinity;
  var idleTimer = null;
  var resetTimer = null;
  var handled = remembered();

  function byId(id) {
    return document.getElementById(id);
  }

  function remembered() {
    try {
      return Number(window.sessionStorage.getItem(HANDLED)) || 0;
    } catch (error) {
      return 0;
    }
  }

  function markHandled(seq) {
    handled = seq;
    try {
      window.sessionStorage.setItem(HANDLED, String(seq));
    } catch (error) {
      // a kiosk without storage forgets on reload; the server no longer offers a rated transaction
    }
  }

  function show(name) {
    screens.forEach(function (screen) {
      byId("screen-" + screen).hidden = screen !== name;
    });
    root.setAttribute("data-screen", name);
  }

  function message(name) {
    ["reason", "failed"].forEach(function (kind) {
      byId("message-" + kind).hidden = kind !== name;
    });
  }

  // A press counts only when the one before it is at least debounceMs ago.
  function accepted() {
    var now = Date.now();
    if (now - lastPress < config.debounceMs) {
      return false;
    }
    lastPress = now;
    return true;
  }

  function touched() {
    window.clearTimeout(idleTimer);
    if (current) {
      idleTimer = window.setTimeout(function () {
        if (!sending) {
          reset();
        }
      }, config.idleMs);
    }
  }

  function reset() {
    window.clearTimeout(idleTimer);
    window.clearTimeout(resetTimer);
    if (current) {
      markHandled(current.seq);
    }
    current = null;
    chosen = null;
    show("idle");
  }

  function offer(transaction) {
    window.clearTimeout(resetTimer);
    current = transaction;
    chosen = null;
    byId("prompt-item-zh").textContent = transaction.item_name_zh;
    byId("prompt-item-en").textContent = transaction.item_name_en;
    byId("prompt-stage-zh").textContent = root.getAttribute("data-stage-" + transaction.stage + "-zh");
    byId("prompt-stage-en").textContent = root.getAttribute("data-stage-" + transaction.stage + "-en");
    qr.src = transaction.qr_svg_url;
    levels.forEach(function (button) { button.setAttribute("aria-pressed", "false"); });
    Array.prototype.forEach.call(reasons.querySelectorAll("input"), function (box) { box.checked = false; });
    reasons.hidden = true;
    submit.hidden = true;
    message(null);
    show("prompt");
    touched();
  }

  function finish(outcome) {
    markHandled(current.seq);
    current = null;
    window.clearTimeout(idleTimer);
    byId("done-thanks").hidden = outcome !== "thanks";
    byId("done-rated").hidden = outcome !== "rated";
    show("done");
    resetTimer = window.setTimeout(reset, config.thanksMs);
  }

  function send(reasonCodes) {
    sending = true;
    fetch(config.submitUrl, {
      method: "POST",
      headers: {"Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify({seq: current.seq, level: chosen, reason_codes: reasonCodes})
    }).then(function (response) {
      sending = false;
      if (response.ok) {
        finish("thanks");
      } else if (response.status === 409 || response.status === 410) {
        finish("rated");
      } else {
        message("failed");
        touched();
      }
    }).catch(function () {
      sending = false;
      message("failed");
      touched();
    });
  }

  levels.forEach(function (button) {
    button.addEventListener("click", function () {
      if (!current || sending || !accepted()) {
        return;
      }
      touched();
      chosen = Number(button.getAttribute("data-level"));
      levels.forEach(function (other) { other.setAttribute("aria-pressed", String(other === button)); });
      message(null);
      var bad = chosen <= 2;
      reasons.hidden = !bad;
      submit.hidden = !bad;
      if (!bad) {
        send([]);
      }
    });
  });

  submit.addEventListener("click", function () {
    if (!current || sending || chosen === null || !accepted()) {
      return;
    }
    touched();
    var codes = Array.prototype.map.call(reasons.querySelectorAll("input:checked"), function (box) {
      return box.value;
    });
    if (!codes.length) {
      message("reason");
      return;
    }
    send(codes);
  });

  root.addEventListener("pointerdown", touched);
  root.addEventListener("keydown", touched);
  reasons.addEventListener("change", touched);

  function poll() {
    fetch(config.transactionUrl, {headers: {"Accept": "application/json"}, cache: "no-store"})
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (transaction) {
        if (!transaction || sending || root.getAttribute("data-screen") === "done") {
          return;
        }
        if (transaction.seq === null) {
          if (current) {
            reset(); // rated elsewhere (on a phone) or no longer offered
          }
        } else if (transaction.seq !== handled && (!current || current.seq !== transaction.seq)) {
          offer(transaction);
        }
      })
      .catch(function () {
        // the network comes back; the next poll tries again
      })
      .then(function () {
        window.setTimeout(poll, config.pollMs);
      });
  }

  show("idle");
  poll();
})();
