// The room page (scaffolding). One WebSocket to /ws/chat/ through the load balancer; the session
// cookie rides along with the handshake. It reconnects after a close with exponential backoff and
// jitter, except when the server said "do not come back" (4401, 4409, 4429), and resumes from the
// number of the last message it showed (?last_id=N, lesson 02's Last-Event-ID): nothing is missed.
(function () {
  "use strict";
  const list = document.getElementById("messages");
  const errors = document.getElementById("errors");
  const status = document.getElementById("status");
  const wsBackend = document.getElementById("ws-backend");
  const FINAL = { 4401: "not signed in", 4403: "origin refused", 4409: "too many connections for this user",
                  4413: "message too big", 4429: "rate limited" };
  let socket = null;
  let attempt = 0;
  let lastId = null;  // the seq of the last message shown (the server numbers every message)

  function problem(text) {
    const box = document.getElementById("problem");
    box.textContent = text;
    box.hidden = false;
    document.body.dataset.problem = text;
  }

  function show(message) {
    const item = document.createElement("li");
    item.dataset.author = message.author;
    item.dataset.backend = message.backend || "";
    const who = document.createElement("span");
    who.className = "author";
    who.textContent = message.author;
    const via = document.createElement("span");
    via.className = "via";
    via.textContent = "via " + (message.backend || "?");
    item.append(who, ": " + message.text, via);
    list.appendChild(item);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const resume = lastId === null ? "" : "?last_id=" + lastId;
    socket = new WebSocket(scheme + location.host + "/ws/chat/" + resume);
    document.body.dataset.state = "connecting";
    socket.addEventListener("open", function () {
      attempt = 0;
      status.textContent = "open";
      document.body.dataset.state = "open";
    });
    socket.addEventListener("message", function (event) {
      let data;
      try { data = JSON.parse(event.data); } catch (e) { problem("not JSON: " + event.data); return; }
      if (data.type === "hello") {
        wsBackend.textContent = data.backend;
        document.body.dataset.backend = data.backend;
        if (lastId === null && typeof data.last_id === "number") lastId = data.last_id;
      } else if (data.type === "message") {
        if (typeof data.seq === "number") {
          if (lastId !== null && data.seq <= lastId) return;  // seen already
          lastId = data.seq;
          document.body.dataset.lastId = String(lastId);
        }
        show(data);
      } else if (data.type === "error") {
        const item = document.createElement("li");
        item.textContent = "server says: " + data.error;
        errors.prepend(item);
      }
    });
    socket.addEventListener("close", function (event) {
      document.body.dataset.state = "closed";
      document.body.dataset.closeCode = String(event.code);
      const why = FINAL[event.code];
      status.textContent = "closed (code " + event.code + (why ? ": " + why : "") + ")";
      if (why || event.code === 4413) return;   // the server said no: reconnecting would not help
      // Backoff with full jitter: after a deploy, thousands of clients must not come back in the same second.
      const delay = Math.random() * Math.min(30000, 500 * 2 ** attempt++);
      status.textContent += "; reconnecting in " + Math.round(delay) + " ms";
      setTimeout(connect, delay);
    });
  }

  function send(payload) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(payload);
  }

  document.getElementById("send").addEventListener("submit", function (event) {
    event.preventDefault();
    const input = event.target.elements.text;
    if (input.value.trim()) send(JSON.stringify({ type: "message", text: input.value }));
    input.value = "";
  });
  document.querySelectorAll("[data-bad]").forEach(function (button) {
    button.addEventListener("click", function () {
      const bad = button.dataset.bad;
      if (bad === "flood") for (let i = 1; i <= 30; i++) send(JSON.stringify({ type: "message", text: "flood " + i }));
      if (bad === "too-big") send(JSON.stringify({ type: "message", text: "x".repeat(5000) }));
      if (bad === "not-json") send("{oops");
    });
  });
  connect();
})();
