/* Indgang's chat widget. No framework, no HTML from data: every message is built with
   createElement and textContent, so a bot text like "<b>" shows as "<b>".

   Without this script the header's chat link simply leads to search. With it, the link
   becomes a button that opens the chat dialog (templates/chat/_widget.html). The page's
   strings, the endpoint and the fallback (search, intake, 112, Livslinien) come from the
   JSON block #chat-config, rendered in the page's language.

   "Talk to a person": when the assistant has put the chat through to a caseworker, the
   portal's answer carries `live` (the room's stream and who the citizen writes with).
   The citizen's messages still go to the portal, which passes them to the caseworker;
   the caseworker's messages arrive over server-sent events (EventSource: it reconnects
   by itself, after the last message it got) into the same log (role="log": screen
   readers announce them). When the caseworker ends the chat the stream says "closed"
   and the widget says the assistant is back. The live state follows the citizen from
   page to page in this tab, like the conversation. */
(function () {
  "use strict";

  var configBlock = document.getElementById("chat-config");
  var panel = document.querySelector("[data-chat-panel]");
  var link = document.querySelector("[data-chat-launcher]");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  if (!configBlock || !panel || !link || !tokenMeta || !window.fetch ||
      typeof panel.showModal !== "function") {
    return; // the link to search keeps working
  }

  var config = JSON.parse(configBlock.textContent);
  var log = panel.querySelector("[data-chat-log]");
  var status = panel.querySelector("[data-chat-status]");
  var form = panel.querySelector("[data-chat-form]");
  var input = form.querySelector("input");
  var STORE_KEY = "indgang-chat";
  var LIVE_KEY = "indgang-chat-live";
  var MAX_ENTRIES = 100;
  var REQUEST_TIMEOUT_MS = config.timeout_ms || 26000; // the portal gives up before this
  var entries = load();
  var busy = false;
  var withLine = panel.querySelector("[data-chat-with]");
  var live = loadLive();
  var source = null;
  var leaving = false;
  window.addEventListener("pagehide", function () { leaving = true; });
  window.addEventListener("pageshow", function () { leaving = false; });

  // The link becomes a real button (it opens a dialog; it does not go anywhere).
  var launcher = document.createElement("button");
  launcher.type = "button";
  launcher.className = link.className;
  launcher.setAttribute("aria-haspopup", "dialog");
  while (link.firstChild) {
    launcher.appendChild(link.firstChild);
  }
  link.replaceWith(launcher);

  launcher.addEventListener("click", open);
  panel.querySelector("[data-chat-close]").addEventListener("click", function () {
    panel.close();
  });
  // Esc closes a modal dialog natively; either way, focus goes back to the launcher.
  panel.addEventListener("close", function () {
    launcher.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || busy) {
      return;
    }
    input.value = "";
    send(text, text);
  });

  // The conversation so far (from earlier pages in this tab) is in place before the
  // dialog opens, so screen readers do not announce it again as new.
  entries.forEach(function (entry) {
    render(entry);
  });
  if (live) {
    showWith();
    connect();
  }

  function open() {
    if (!panel.open) {
      panel.showModal();
    }
    if (!entries.length) {
      config.greeting.forEach(function (message) {
        add({ who: "bot", message: message });
      });
    }
    scrollToEnd();
    input.focus();
  }

  function send(message, shownAs) {
    busy = true;
    retireButtons();
    var said = add({ who: "user", message: { text: shownAs } });
    status.textContent = live ? config.strings.sending : config.strings.writing;
    panel.classList.add("is-busy");

    var controller = window.AbortController ? new AbortController() : null;
    var timer = controller && window.setTimeout(function () { controller.abort(); },
                                                REQUEST_TIMEOUT_MS);
    fetch(config.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": tokenMeta.content
      },
      body: JSON.stringify({ message: message, lang: config.lang }),
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json();
    }).then(function (data) {
      var answered = data && (data.status === "ok" || data.status === "unavailable");
      if (answered && live && !data.live) {
        endLive(true); // the assistant answered: the caseworker had ended the chat
      }
      if (data && Array.isArray(data.messages) && data.messages.length) {
        data.messages.forEach(function (m) { add({ who: "bot", message: m }); });
      } else if (data && typeof data.message === "string") {
        // Too many messages, too long, expired page: the portal says what to do.
        add({ who: "notice", message: { text: data.message } });
      } else if (!(data && data.live)) {
        unavailable(); // (while a person has the chat, the assistant says nothing)
      }
      if (data && data.live && typeof data.live.stream === "string") {
        startLive(data.live);
      }
    }).catch(unavailable).then(function () {
      // The citizen's message at the top, the answer below it: a long answer is read
      // from its start, not from its end.
      log.scrollTop = Math.max(0, said.offsetTop - log.offsetTop - 16);
      if (timer) {
        window.clearTimeout(timer);
      }
      busy = false;
      status.textContent = "";
      panel.classList.remove("is-busy");
    });
  }

  /* --- a live chat with a caseworker ------------------------------------------------ */

  function startLive(info) {
    if (live && live.room === info.room) {
      return; // already following this chat
    }
    live = { room: info.room, stream: info.stream, with: String(info.with || ""),
             label: String(info.label || config.strings.staff), lastId: 0 };
    saveLive();
    add({ who: "notice", message: { text: live.with } });
    showWith();
    connect();
  }

  function connect() {
    if (source || !window.EventSource || !isSafeUrl(live.stream)) {
      return;
    }
    var url = live.stream + (live.stream.indexOf("?") < 0 ? "?" : "&") + "after=" + live.lastId;
    source = new EventSource(url);
    source.addEventListener("message", function (event) {
      var message = JSON.parse(event.data);
      if (!live || typeof message.id !== "number" || message.id <= live.lastId) {
        return;
      }
      live.lastId = message.id;
      saveLive();
      if (message.sender === "staff" && typeof message.body === "string") {
        add({ who: "staff", label: live.label, message: { text: message.body } });
      }
    });
    source.addEventListener("closed", function () {
      endLive(true);
    });
    source.addEventListener("forbidden", function () {
      endLive(false);
    });
    source.addEventListener("error", function () {
      // Refused (this browser may no longer follow the chat) leaves the stream closed.
      // Leaving the page closes it too, before the page is gone: so look again a moment
      // later (by then a page being left is gone, and its live state stays for the next).
      window.setTimeout(function () {
        if (!leaving && source && source.readyState === EventSource.CLOSED) {
          endLive(false);
        }
      }, 1500);
    });
  }

  function endLive(back) {
    if (source) {
      source.close();
      source = null;
    }
    if (!live) {
      return;
    }
    live = null;
    saveLive();
    showWith();
    add({ who: "notice", message: { text: back ? config.strings.back : config.strings.lost } });
  }

  function showWith() {
    if (withLine) {
      withLine.textContent = live ? live.with : "";
      withLine.hidden = !live;
    }
  }

  function loadLive() {
    try {
      var stored = JSON.parse(window.sessionStorage.getItem(LIVE_KEY) || "null");
      return stored && typeof stored.stream === "string" ? stored : null;
    } catch (e) {
      return null;
    }
  }

  function saveLive() {
    try {
      if (live) {
        window.sessionStorage.setItem(LIVE_KEY, JSON.stringify(live));
      } else {
        window.sessionStorage.removeItem(LIVE_KEY);
      }
    } catch (e) {
      // private mode: the live chat works on this page
    }
  }

  function unavailable() {
    config.fallback.forEach(function (m) { add({ who: "bot", message: m }); });
  }

  function add(entry) {
    entries.push(entry);
    if (entries.length > MAX_ENTRIES) {
      entries = entries.slice(-MAX_ENTRIES);
    }
    save();
    var item = render(entry);
    scrollToEnd();
    return item;
  }

  /* Reply buttons belong to their turn: once the citizen answers, they are disabled. */
  function retireButtons() {
    entries.forEach(function (entry) { entry.used = true; });
    var buttons = log.querySelectorAll(".chat-reply");
    for (var i = 0; i < buttons.length; i += 1) {
      buttons[i].disabled = true;
    }
  }

  function render(entry) {
    var m = entry.message || {};
    var item = document.createElement("div");
    item.className = "chat-message chat-message--" + entry.who;
    var who = document.createElement("span");
    who.className = "sr-only";
    who.textContent = entry.who === "user" ? config.strings.you
      : entry.who === "staff" ? (entry.label || config.strings.staff) : config.strings.bot;
    item.appendChild(who);

    if (typeof m.text === "string" && m.text) {
      var text = document.createElement("p");
      text.className = "chat-text";
      text.textContent = m.text;
      item.appendChild(text);
    }

    var links = (Array.isArray(m.links) ? m.links : []).filter(function (l) {
      return l && typeof l.title === "string" && isSafeUrl(l.url);
    });
    if (links.length) {
      var list = document.createElement("ul");
      list.className = "chat-links";
      links.forEach(function (l) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = l.url;
        a.className = "chat-link-title";
        a.textContent = l.title;
        li.appendChild(a);
        if (typeof l.text === "string" && l.text) {
          var why = document.createElement("span");
          why.className = "chat-link-text";
          why.textContent = l.text;
          li.appendChild(why);
        }
        list.appendChild(li);
      });
      item.appendChild(list);
    }

    var buttons = Array.isArray(m.buttons) ? m.buttons : [];
    if (buttons.length) {
      var group = document.createElement("div");
      group.className = "chat-buttons";
      buttons.forEach(function (b) {
        if (!b || typeof b.title !== "string" || typeof b.payload !== "string") {
          return;
        }
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button-secondary chat-reply";
        button.textContent = b.title;
        button.disabled = Boolean(entry.used);
        button.addEventListener("click", function () {
          if (busy) {
            return;
          }
          send(b.payload, b.title);
          input.focus(); // the pressed button is now disabled
        });
        group.appendChild(button);
      });
      item.appendChild(group);
    }
    log.appendChild(item);
    return item;
  }

  /* The portal already drops other links; this is a second lock on the same door. */
  function isSafeUrl(url) {
    if (typeof url !== "string") {
      return false;
    }
    if (/^tel:\+?[0-9]+$/.test(url)) {
      return true;
    }
    return url.charAt(0) === "/" && url.charAt(1) !== "/" && url.indexOf("\\") === -1 &&
      !/[\u0000-\u001f\u007f]/.test(url);
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  /* The conversation follows the citizen from page to page in this tab only
     (sessionStorage: gone when the tab closes). */
  function load() {
    try {
      var stored = JSON.parse(window.sessionStorage.getItem(STORE_KEY) || "[]");
      return Array.isArray(stored) ? stored : [];
    } catch (e) {
      return [];
    }
  }

  function save() {
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(entries));
    } catch (e) {
      // private mode or full storage: the chat works, it just does not follow pages
    }
  }
}());
