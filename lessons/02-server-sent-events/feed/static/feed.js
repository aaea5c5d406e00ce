// The feed's page (scaffolding): one EventSource, the events it delivers, and buttons to
// break things. The browser does the reconnecting and the Last-Event-ID by itself.
(function () {
  "use strict";
  const root = document.getElementById("feed");
  const list = document.getElementById("events");
  const statusBadge = document.getElementById("status");
  const query = root.dataset.query;
  const streamUrl = "/events" + (query ? "?" + query : "");
  const seen = new Set();
  let lastShown = 0;
  let opens = 0;

  function log(text) {
    const item = document.createElement("li");
    item.textContent = new Date().toLocaleTimeString() + "  " + text;
    const box = document.getElementById("log");
    box.appendChild(item);
    box.scrollTop = box.scrollHeight;
  }

  function setState(state, text) {
    statusBadge.dataset.state = state;
    statusBadge.textContent = text;
    document.body.dataset.state = state;
  }

  function showProblem(text) {
    const box = document.getElementById("problem");
    box.textContent = text;
    box.hidden = false;
    document.body.dataset.problem = text;
  }

  function show(event) {
    const id = Number(event.lastEventId);
    const item = document.createElement("li");
    item.dataset.id = event.lastEventId;
    item.dataset.event = event.type;
    if (seen.has(id)) item.classList.add("duplicate");
    else if (id && lastShown && id > lastShown + 1) item.classList.add("gap");
    seen.add(id);
    lastShown = Math.max(lastShown, id);
    if (id) item.value = id;
    item.textContent = event.data;
    list.appendChild(item);
    document.getElementById("count").textContent = String(seen.size);
  }

  // Why did the browser give up? EventSource does not say, so ask once with fetch.
  async function explainClosed() {
    const controller = new AbortController();
    try {
      const response = await fetch(streamUrl, { signal: controller.signal, cache: "no-store" });
      const type = response.headers.get("Content-Type") || "(none)";
      const problem = response.headers.get("X-Workshop-Error");
      controller.abort();
      if (response.status === 204) {
        log("GET /events answers 204 No Content: the feed is closed, the browser stopped reconnecting.");
      } else if (problem) {
        showProblem("GET /events answered HTTP " + response.status + ": " + problem);
      } else if (response.status !== 200) {
        showProblem("GET /events answered HTTP " + response.status + "; EventSource needs 200 (or 204 to stop).");
      } else if (!type.startsWith("text/event-stream")) {
        showProblem("GET /events answered with Content-Type " + type + "; EventSource needs text/event-stream.");
      }
    } catch (error) {
      if (error.name !== "AbortError") log("the server cannot be reached (" + error.message + ")");
    }
  }

  const source = new EventSource(streamUrl);
  window.feedSource = source;
  source.addEventListener("open", function () {
    opens += 1;
    document.getElementById("opens").textContent = String(opens);
    document.body.dataset.opens = String(opens);
    setState("open", "open");
    log("connected" + (opens > 1 ? " again (the browser sent Last-Event-ID: " + (lastShown || "none") + ")" : ""));
  });
  source.addEventListener("message", show);
  source.addEventListener("alert", show);
  source.addEventListener("error", function () {
    if (source.readyState === EventSource.CLOSED) {
      setState("closed", "closed: the browser will not reconnect");
      log("the browser gave up (HTTP 204, another status, or a wrong Content-Type)");
      explainClosed();
    } else {
      setState("connecting", "reconnecting…");
      log("connection lost; the browser reconnects by itself");
    }
  });
  document.body.dataset.clientStarted = "yes";

  async function send(url, body) {
    const response = await fetch(url, { method: "POST", body: body });
    if (!response.ok) showProblem("POST " + url + " failed: HTTP " + response.status + " " + (await response.text()));
    return response;
  }

  const form = document.getElementById("post");
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    await send("/api/events", new URLSearchParams(new FormData(form)));
    form.elements.text.value = "";
  });
  form.elements.text.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  document.getElementById("drop").addEventListener("click", async function () {
    const answer = await (await send("/api/drop", "")).json();
    log("asked the server to drop " + answer.dropped + " open stream(s)");
  });
  document.getElementById("close-feed").addEventListener("click", function () {
    send("/api/feed", new URLSearchParams({ closed: "true" }));
  });
  document.getElementById("reopen-feed").addEventListener("click", async function () {
    await send("/api/feed", new URLSearchParams({ closed: "false" }));
    if (source.readyState === EventSource.CLOSED) location.reload();  // a closed EventSource never comes back
  });

  async function refreshStats() {
    try {
      const stats = await (await fetch("/api/stats", { cache: "no-store" })).json();
      document.getElementById("open-streams").textContent = stats.open_streams;
      document.getElementById("resumed").textContent = stats.reconnections_with_last_event_id;
      document.getElementById("last-ids").textContent =
        stats.last_event_ids.map((v) => (v === null ? "none" : v)).join(", ") || "–";
    } catch (error) { /* the server is gone; nothing to show */ }
  }
  setInterval(refreshStats, 1000);
  refreshStats();
})();
