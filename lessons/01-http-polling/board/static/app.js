// The board's page (scaffolding): draws messages, posts new ones, shows the cost.
// The polling loop itself is the learner's, in poll_client.js.
(function () {
  "use strict";
  const root = document.getElementById("board");
  const list = document.getElementById("messages");
  const seen = new Set();

  function showProblem(text) {
    const box = document.getElementById("problem");
    box.textContent = text;
    box.hidden = false;
    document.body.dataset.problem = text;
  }

  function render(messages) {
    if (!Array.isArray(messages)) {
      showProblem("onMessages() was called with " + JSON.stringify(messages) + "; it expects an array of messages.");
      return;
    }
    for (const message of messages) {
      const item = document.createElement("li");
      item.dataset.id = message.id;
      if (seen.has(message.id)) item.className = "duplicate";
      seen.add(message.id);
      item.textContent = message.author + ": " + message.text;
      list.appendChild(item);
    }
    document.getElementById("count").textContent = String(seen.size);
  }

  function reportError(error) {
    console.warn("polling problem:", error);
  }

  try {
    if (typeof startPolling !== "function" || typeof startLongPolling !== "function") {
      throw new Error("poll_client.js must define startPolling and startLongPolling (is there a syntax error? see the console)");
    }
    const client = root.dataset.mode === "long"
      ? startLongPolling({ url: "/api/messages/wait", timeoutS: 25, onMessages: render, onError: reportError })
      : startPolling({ url: "/api/messages", intervalMs: Number(root.dataset.interval), onMessages: render, onError: reportError });
    window.boardClient = client;
    document.body.dataset.clientStarted = "yes";
  } catch (error) {
    showProblem("The polling client did not start: " + (error && error.message ? error.message : error));
  }

  document.getElementById("post").addEventListener("submit", async function (event) {
    event.preventDefault();
    const form = new FormData(event.target);
    const response = await fetch("/api/messages", { method: "POST", body: new URLSearchParams(form) });
    if (!response.ok) showProblem("Posting failed: HTTP " + response.status);
    event.target.elements.text.value = "";
  });

  async function refreshStats() {
    try {
      const stats = await (await fetch("/api/stats")).json();
      document.getElementById("short-polls").textContent = stats.short_polls;
      document.getElementById("long-polls").textContent = stats.long_polls;
      document.getElementById("waiting").textContent = stats.waiting_now;
    } catch (error) { /* the server is gone; nothing to show */ }
  }
  setInterval(refreshStats, 1000);
  refreshStats();
})();
