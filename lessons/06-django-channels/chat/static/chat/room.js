// The room page (scaffolding; the learner writes no JavaScript in this lesson).
// One WebSocket to /ws/chat/<room>/. The session cookie rides along with the handshake, so the
// server knows who we are; we only ever send {"type": "message", "text": "..."}.
(function () {
  "use strict";
  const room = document.getElementById("chat").dataset.room;
  const list = document.getElementById("messages");
  const errors = document.getElementById("errors");
  const status = document.getElementById("status");
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  const socket = new WebSocket(scheme + location.host + "/ws/chat/" + encodeURIComponent(room) + "/");
  let opened = false;
  document.body.dataset.state = "connecting";

  function problem(text) {
    const box = document.getElementById("problem");
    box.textContent = text;
    box.hidden = false;
    document.body.dataset.problem = text;
  }

  function show(message, fromHistory) {
    const item = document.createElement("li");
    item.dataset.id = message.id;
    item.dataset.author = message.author;
    if (fromHistory) item.className = "history";
    const who = document.createElement("span");
    who.className = "author";
    who.textContent = message.author;
    item.append(who, ": " + message.text);
    list.appendChild(item);
  }

  socket.addEventListener("open", function () {
    opened = true;
    status.textContent = "open";
    document.body.dataset.state = "open";
  });

  socket.addEventListener("message", function (event) {
    let data;
    try { data = JSON.parse(event.data); } catch (e) { problem("The server sent text that is not JSON: " + event.data); return; }
    if (data.type === "history" && Array.isArray(data.messages)) {
      list.replaceChildren();
      data.messages.forEach(function (m) { show(m, true); });
      document.body.dataset.history = String(data.messages.length);
    } else if (data.type === "message") {
      show(data, false);
    } else if (data.type === "error") {
      const item = document.createElement("li");
      item.textContent = "server says: " + data.error;
      errors.prepend(item);
    } else {
      console.warn("unexpected message from the server", data);
    }
  });

  socket.addEventListener("close", function (event) {
    document.body.dataset.state = "closed";
    status.textContent = "closed (code " + event.code + ")";
    if (!opened) {
      problem("The server refused the WebSocket at the handshake. The terminal running the server says why: " +
              "an unknown room, nobody logged in, a foreign Origin, routing.application not written yet, " +
              "or a traceback from the consumer.");
    } else if (event.code !== 1000) {
      problem("The connection closed with code " + event.code + (event.code === 1011 ?
              " (the consumer raised an exception: see the server's terminal)." : "."));
    }
  });

  document.getElementById("send").addEventListener("submit", function (event) {
    event.preventDefault();
    const input = event.target.elements.text;
    if (socket.readyState !== WebSocket.OPEN) { problem("Not connected."); return; }
    socket.send(JSON.stringify({ type: "message", text: input.value }));
    input.value = "";
  });

  const bad = {
    "not-json": "hello, this is not JSON",
    "no-text": JSON.stringify({ type: "message" }),
    "not-string": JSON.stringify({ type: "message", text: 42 }),
    "too-long": JSON.stringify({ type: "message", text: "x".repeat(5000) }),
  };
  document.querySelectorAll("[data-bad]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (socket.readyState === WebSocket.OPEN) socket.send(bad[button.dataset.bad]);
    });
  });
  window.chatSocket = socket;
})();
