/* The live chat of a session (templates/livechat/_room.html). No framework, no HTML from
   data: every message is built with createElement and textContent.

   Without this script the room still works: the form posts and comes back to the page,
   and a link shows new messages. With it, new messages arrive as server-sent events
   (EventSource, which reconnects by itself and resumes after the last message it got),
   messages are sent with fetch, and Enter sends (Shift+Enter: a new line). The log is a
   role="log" live region: screen readers announce new messages politely.

   On a session page before the chat opens, the page reloads itself at the opening time. */
(function () {
  "use strict";

  var early = document.querySelector("[data-live-opens-at]");
  if (early) {
    var wait = Date.parse(early.getAttribute("data-live-opens-at")) - Date.now();
    if (wait > 0 && wait < 12 * 3600 * 1000) {
      window.setTimeout(function () { window.location.reload(); }, wait + 1000);
    }
  }

  var root = document.querySelector("[data-live-room][data-live]");
  var configBlock = document.getElementById("live-config");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  if (!root || !configBlock || !tokenMeta || !window.EventSource || !window.fetch) {
    return; // the plain form and the "show new messages" link keep working
  }

  var config = JSON.parse(configBlock.textContent);
  var role = root.getAttribute("data-role");
  var log = root.querySelector("[data-live-log]");
  var list = root.querySelector("[data-live-list]");
  var status = root.querySelector("[data-live-status]");
  var form = root.querySelector("[data-live-form]");
  var group = form.querySelector("[data-live-group]");
  var input = form.querySelector("textarea");
  var errorBox = form.querySelector("[data-live-error]");
  var errorText = form.querySelector("[data-live-error-text]");
  var lastId = parseInt(root.getAttribute("data-after"), 10) || 0;
  var seen = {};
  var sending = false;
  var source = null;
  var troubleTimer = null;

  Array.prototype.forEach.call(list.querySelectorAll("[data-id]"), function (item) {
    seen[item.getAttribute("data-id")] = true;
  });
  form.querySelector("[data-live-refresh]").hidden = true; // messages come by themselves
  var hint = form.querySelector("[data-live-hint]");
  hint.hidden = false;
  describe();
  scrollToEnd();
  connect();

  function connect() {
    var url = root.getAttribute("data-stream");
    source = new EventSource(url + (url.indexOf("?") < 0 ? "?" : "&") + "after=" + lastId);
    source.addEventListener("open", function () {
      window.clearTimeout(troubleTimer);
      troubleTimer = null;
      if (status.textContent === config.strings.reconnecting) {
        status.textContent = "";
      }
    });
    source.addEventListener("message", function (event) {
      add(JSON.parse(event.data));
    });
    source.addEventListener("closed", function () {
      source.close();
      ended();
    });
    source.addEventListener("forbidden", function () {
      source.close();
      lost();
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        lost(); // refused (no access any more): the browser does not try again
      } else if (!troubleTimer) {
        // A moment's break (the stream restarts every few minutes) is not worth a word.
        troubleTimer = window.setTimeout(function () {
          if (source.readyState !== EventSource.OPEN) {
            status.textContent = config.strings.reconnecting;
          }
          troubleTimer = null;
        }, 4000);
      }
    });
  }

  function add(message) {
    if (seen[message.id]) {
      return;
    }
    seen[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var empty = log.querySelector("[data-live-empty]");
    if (empty) {
      empty.remove();
    }
    var nearEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    var mine = message.sender === role;
    var item = document.createElement("li");
    item.className = "live-message " + (mine ? "is-mine" : "is-theirs");
    item.setAttribute("data-id", String(message.id));
    var meta = document.createElement("p");
    meta.className = "live-meta";
    var who = document.createElement("span");
    who.className = "live-who";
    who.textContent = mine ? config.mine : config.other;
    var time = document.createElement("span");
    time.className = "live-time";
    time.textContent = message.time;
    meta.appendChild(who);
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(time);
    var body = document.createElement("p");
    body.className = "live-body";
    body.textContent = message.body;
    item.appendChild(meta);
    item.appendChild(body);
    list.appendChild(item);
    if (nearEnd || mine) {
      scrollToEnd();
    }
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      showError(config.strings.empty);
      input.focus();
      return;
    }
    if (sending) {
      return;
    }
    sending = true;
    fetch(form.getAttribute("action"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": tokenMeta.content
      },
      body: JSON.stringify({ body: text, lang: config.lang })
    }).then(function (response) {
      return response.json().then(function (data) {
        return { ok: response.ok, data: data };
      }, function () {
        return { ok: false, data: {} };
      });
    }).then(function (result) {
      if (result.ok && result.data.message) {
        input.value = "";
        showError("");
        add(result.data.message);
      } else {
        // The text stays in the box: nothing typed is lost.
        showError(result.data.message || config.strings.failed);
        if (result.data.error === "closed") {
          ended();
        }
      }
    }).catch(function () {
      showError(config.strings.failed);
    }).then(function () {
      sending = false;
      if (!input.disabled) {
        input.focus();
      }
    });
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        form.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    }
  });

  function showError(text) {
    errorText.textContent = text;
    errorBox.hidden = !text;
    group.classList.toggle("form-error", Boolean(text));
    describe();
  }

  function describe() {
    var ids = ["live-hint"];
    if (!errorBox.hidden) {
      ids.push("live-error");
    }
    input.setAttribute("aria-describedby", ids.join(" "));
  }

  function ended() {
    input.disabled = true;
    form.querySelector("button[type=submit]").disabled = true;
    status.textContent = config.strings.ended;
  }

  function lost() {
    window.clearTimeout(troubleTimer);
    status.textContent = config.strings.lost;
  }
})();
