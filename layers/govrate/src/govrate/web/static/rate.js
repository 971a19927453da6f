// The rating form without a page reload: the same form, posted to the same address, asking for JSON.
// Without this script the form posts as it is and the server answers with pages.
(function () {
  "use strict";
  var form = document.getElementById("rate");
  if (!form || !window.fetch || !window.FormData || !window.URLSearchParams) {
    return;
  }
  var reasons = document.getElementById("field-reason");
  var reasonsHint = document.getElementById("reasons-hint");
  var status = document.getElementById("form-status");
  var submit = form.querySelector("button[type=submit]");
  var sending = form.getAttribute("data-sending");
  var failed = form.getAttribute("data-failed");

  function each(selector, action) {
    Array.prototype.forEach.call(form.querySelectorAll(selector), action);
  }

  function showReasons() {
    var level = form.querySelector("input[name=level]:checked");
    var bad = Boolean(level) && Number(level.value) <= 2;
    reasons.hidden = !bad;
    reasonsHint.hidden = true;
    if (!bad) {
      each("input[name=reason]", function (box) { box.checked = false; });
    }
  }

  function clearErrors() {
    each(".error", function (slot) {
      slot.textContent = "";
      slot.hidden = true;
    });
    each("[aria-invalid]", function (control) { control.removeAttribute("aria-invalid"); });
    var summary = document.getElementById("errors");
    if (summary) {
      summary.parentNode.removeChild(summary);
    }
  }

  function showErrors(errors) {
    var first = null;
    errors.forEach(function (error) {
      var slot = document.getElementById("error-" + error.field) || document.getElementById("error-form");
      slot.textContent = error.message;
      slot.hidden = false;
      var field = document.getElementById("field-" + error.field);
      if (field) {
        var control = field.matches("input, textarea") ? field : field.querySelector("input:not([disabled])");
        if (control) {
          control.setAttribute("aria-invalid", "true");
          first = first || control;
        }
      }
    });
    (first || status).focus();
  }

  function finish(message) {
    form.hidden = true;
    status.textContent = message;
  }

  if (reasons) {
    showReasons();
    form.addEventListener("change", function (event) {
      if (event.target.name === "level") {
        showReasons();
      }
    });
  }

  // Back to this page: the browser restores the chosen level after this script ran (or the whole page
  // from its cache, the button still disabled by the last submit).
  window.addEventListener("pageshow", function () {
    submit.disabled = false;
    if (reasons) {
      showReasons();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (submit.disabled) {
      return;
    }
    clearErrors();
    submit.disabled = true;
    status.textContent = sending;
    fetch(form.action, {
      method: "POST",
      headers: {"Accept": "application/json"},
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin"
    }).then(function (response) {
      // A refused form stored nothing and comes with a fresh token for the next try.
      var token = response.headers.get("X-Form-Token");
      if (token && form.elements.nonce) {
        form.elements.nonce.value = token;
      }
      return response.json().then(function (answer) {
        return {status: response.status, answer: answer};
      });
    }).then(function (result) {
      var answer = result.answer;
      if (result.status < 300) {
        if (answer.next_url) {
          window.location.assign(answer.next_url);
        } else {
          finish(answer.message);
        }
        return;
      }
      status.textContent = "";
      if (answer.errors) {
        submit.disabled = false;
        showErrors(answer.errors);
      } else {
        // Already rated, or no longer open for rating: another try would not change that.
        submit.disabled = result.status === 409 || result.status === 410 || result.status === 422;
        status.textContent = answer.detail || failed;
      }
    }).catch(function () {
      submit.disabled = false;
      status.textContent = failed;
    });
  });
})();
