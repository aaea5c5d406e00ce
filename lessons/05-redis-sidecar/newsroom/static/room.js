// The room page (scaffolding: the learner writes no JavaScript in this lesson).
//
// The history came with the page, from Django. For what is new, the page asks Django for a
// short-lived token, opens a WebSocket to the sidecar with it, and waits for {"type": "ready"}
// (sent once the sidecar has subscribed to the room's Redis channel). Then it asks Django once
// more for anything after the last id it shows, because a message published before the
// subscription existed was never going to reach this socket: pub/sub keeps no history.
// Messages can therefore arrive twice (history, catch-up, push, and our own POST's answer):
// the id decides, and a message whose id is already shown is dropped.
(function () {
  "use strict";
  const room = document.getElementById("room").dataset.room;
  const list = document.getElementById("messages");
  const statusText = document.getElementById("status");
  const seen = new Set();
  const counters = { pushed: 0, "caught-up": 0, dropped: 0, connections: 0 };
  let retryMs = 500;
  let socket = null;
  list.querySelectorAll("li[data-id]").forEach(function (li) { seen.add(Number(li.dataset.id)); });

  function count(name) {
    counters[name] += 1;
    document.getElementById(name).textContent = String(counters[name]);
  }

  function state(value, text) {
    document.body.dataset.state = value;
    statusText.textContent = text || value;
  }

  function problem(text) {
    const box = document.getElementById("problem");
    box.textContent = text;
    box.hidden = !text;
    if (text) document.body.dataset.problem = text; else delete document.body.dataset.problem;
  }

  function maxId() {
    return seen.size ? Math.max.apply(null, Array.from(seen)) : 0;
  }

  // Show a message once, in id order. Returns false for a duplicate.
  function show(message, how) {
    if (typeof message.id !== "number") return false;
    if (seen.has(message.id)) { count("dropped"); return false; }
    seen.add(message.id);
    const item = document.createElement("li");
    item.dataset.id = message.id;
    item.dataset.author = message.author;
    item.className = how;
    const who = document.createElement("span");
    who.className = "author";
    who.textContent = message.author;
    item.append(who, ": " + message.text);
    const later = Array.from(list.children).find(function (li) { return Number(li.dataset.id) > message.id; });
    list.insertBefore(item, later || null);
    if (how === "pushed") window.lastPushLatencyMs = Date.now() - message.sent_at * 1000;
    return true;
  }

  async function django(url, options) {
    const response = await fetch(url, Object.assign({ headers: { Accept: "application/json" } }, options));
    if (!response.ok) {
      const why = response.headers.get("X-Workshop-Error") || ("HTTP " + response.status);
      throw new Error(url + " answered " + why);
    }
    return response.json();
  }

  async function catchUp() {
    const answer = await django("/room/" + room + "/messages?after=" + maxId());
    answer.messages.forEach(function (m) { if (show(m, "caught-up")) count("caught-up"); });
  }

  async function connect() {
    state("connecting", "asking Django for a token…");
    let ticket;
    try {
      ticket = await django("/room/" + room + "/token");
    } catch (error) {
      problem("No token for the sidecar: " + error.message + ". (make_token in publish.py?)");
      return retry();
    }
    state("connecting", "opening " + ticket.url + " …");
    let ready = false;
    socket = new WebSocket(ticket.url + "?token=" + encodeURIComponent(ticket.token));
    socket.addEventListener("open", function () { count("connections"); state("open", "open, waiting for ready…"); });
    socket.addEventListener("message", function (event) {
      let data;
      try { data = JSON.parse(event.data); } catch (e) {
        problem("The sidecar sent something that is not JSON text: " + String(event.data).slice(0, 120) +
                " (a Blob here means a binary frame: send str, not bytes).");
        return;
      }
      if (data.type === "ready") {
        ready = true;
        retryMs = 500;
        problem("");
        state("live", "live (subscribed as " + data.user + ")");
        catchUp().catch(function (error) { problem(error.message); });
      } else if (show(data, "pushed")) {
        count("pushed");
      }
    });
    socket.addEventListener("close", function (event) {
      const why = event.reason ? " (" + event.reason + ")" : "";
      state("closed", "closed, code " + event.code + why + "; reconnecting…");
      if (event.code === 4401 || event.code === 4403 || event.code === 1011) {  // 4409 (token used): just retry
        problem("The sidecar closed the socket with code " + event.code + why + ". Its terminal says more.");
      } else if (!ready && event.code === 1006) {
        problem("Could not open the WebSocket to the sidecar (" + ticket.url + "). Is it running?");
      }
      retry();
    });
  }

  function retry() {
    // A fresh token every time: the old one may have expired. Back off so a dead sidecar is not hammered.
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 8000);
  }

  document.getElementById("post").addEventListener("submit", async function (event) {
    event.preventDefault();
    const form = event.target;
    const body = new FormData(form);
    form.elements.text.value = "";
    try {
      // Django's CSRF check: the token from the form (the cookie is HttpOnly), in the header it reads.
      const csrf = form.elements.csrfmiddlewaretoken.value;
      const message = await django(form.action, {
        method: "POST", body: body, headers: { Accept: "application/json", "X-CSRFToken": csrf },
      });
      show(message, "mine");  // usually the push got here first: then this copy is dropped
    } catch (error) {
      problem("Posting failed: " + error.message);
    }
  });
  window.newsroomSocket = function () { return socket; };
  connect();
})();
