/* The caseworker's live chat pages (templates/caseworker/live*.html). No framework, no
   HTML from data: everything is built with createElement and textContent.

   One server-sent-events stream (/live/caseworker/chats) per page: it sends the list of
   the team's live chats whenever it changes, and while it is open the caseworker counts
   as "seen" (available for chat, if they said so). New chats appear in the list (a
   polite live region) and the page title counts the chats waiting for this caseworker;
   a crisis in any going-on chat shows as an alert (role="alert": read out at once).
   Without this script the page works by reloading (it says so). */
(function () {
  "use strict";

  var configBlock = document.getElementById("caseworker-live-config");
  if (!configBlock || !window.EventSource) {
    return;
  }
  var config = JSON.parse(configBlock.textContent);
  var list = document.querySelector("[data-chat-list]");
  var none = document.querySelector("[data-chat-none]");
  var alerts = document.querySelector("[data-chat-alerts]");
  var title = document.title;
  var shown = {};
  var status = null;

  Array.prototype.forEach.call(document.querySelectorAll("[data-nojs]"), function (el) {
    el.hidden = true; // the page updates by itself
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-crisis-id]"), function (el) {
    shown[el.getAttribute("data-crisis-id")] = el.getAttribute("data-crisis");
  });

  var source = new EventSource(config.stream);
  source.addEventListener("chats", function (event) {
    var data = JSON.parse(event.data);
    var chats = Array.isArray(data.chats) ? data.chats : [];
    render(chats);
    alert(chats);
    waiting(chats);
  });
  source.addEventListener("forbidden", function () {
    source.close();
    lost();
  });
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      lost();
    }
  });

  function render(chats) {
    if (!list) {
      return; // a conversation page: alerts only
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    chats.forEach(function (chat) {
      var item = document.createElement("li");
      item.className = "live-chat-item" + (chat.ended ? " is-ended" : "");
      var link = document.createElement("a");
      link.href = chat.url;
      link.textContent = chat.title;
      var state = document.createElement("span");
      state.className = "live-chat-status";
      state.textContent = chat.status;
      item.appendChild(link);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(state);
      list.appendChild(item);
    });
    if (none) {
      none.hidden = chats.length > 0;
    }
  }

  function alert(chats) {
    if (!alerts) {
      return;
    }
    chats.forEach(function (chat) {
      var key = String(chat.id);
      if (!chat.alert || chat.ended || shown[key] === chat.crisis) {
        return;
      }
      shown[key] = chat.crisis;
      var old = alerts.querySelector('[data-crisis-id="' + key + '"]');
      if (old) {
        old.remove();
      }
      var box = document.createElement("div");
      box.className = "alert alert-error alert--paragraph";
      box.setAttribute("role", "alert");
      box.setAttribute("data-crisis-id", key);
      var body = document.createElement("div");
      body.className = "alert-body";
      var text = document.createElement("p");
      text.className = "alert-text";
      var link = document.createElement("a");
      link.href = chat.url;
      link.textContent = chat.alert;
      text.appendChild(link);
      body.appendChild(text);
      box.appendChild(body);
      alerts.appendChild(box);
    });
  }

  function waiting(chats) {
    var n = chats.filter(function (c) { return c.mine && !c.answered && !c.ended; }).length;
    document.title = n ? config.strings.waiting.replace("{n}", String(n)) + " " + title
                       : title;
  }

  function lost() {
    if (!status) {
      status = document.createElement("p");
      status.className = "live-status";
      status.setAttribute("role", "status");
      (alerts || document.body).appendChild(status);
    }
    status.textContent = config.strings.lost;
    Array.prototype.forEach.call(document.querySelectorAll("[data-nojs]"), function (el) {
      el.hidden = false;
    });
  }
})();
