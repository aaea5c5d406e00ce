// The job page (scaffolding; the learner writes no JavaScript in this lesson).
// POST /jobs/ starts a job and answers {"job": id} at once; then one WebSocket to /ws/jobs/<id>/
// receives the job's states: first the current one, then one per step, then "done" or "failed".
// The URL keeps ?job=<id>, so a reload (or another tab) reconnects to the same job.
(function () {
  "use strict";
  const form = document.getElementById("start");
  const bar = document.getElementById("bar");
  const events = document.getElementById("events");
  let socket = null;
  let shown = -1;  // the highest "done" shown: an older state arriving late never moves the bar back

  function problem(text) {
    const box = document.getElementById("problem");
    box.textContent = text;
    box.hidden = !text;
    if (text) document.body.dataset.problem = text;
  }

  function show(state) {
    const line = document.createElement("li");
    line.textContent = new Date().toISOString().slice(11, 23) + "  " + JSON.stringify(state);
    events.appendChild(line);
    document.body.dataset.events = String(events.children.length);
    const final = state.status === "done" || state.status === "failed";
    if (state.done < shown && !final) return;
    shown = Math.max(shown, state.done);
    const percent = state.total > 0 ? Math.round(100 * state.done / state.total) : 0;
    bar.firstElementChild.style.width = percent + "%";
    bar.setAttribute("aria-valuenow", String(percent));
    document.getElementById("percent").textContent = percent + " %";
    document.getElementById("count").textContent = state.done + " / " + state.total;
    document.getElementById("status").textContent = state.status + (state.error ? ": " + state.error : "");
    document.body.dataset.status = state.status;
    if (final && socket) socket.close(1000);
  }

  function watch(job) {
    if (socket) socket.close(1000);
    shown = -1;
    events.replaceChildren();
    document.getElementById("job").textContent = job;
    document.body.dataset.job = job;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(scheme + location.host + "/ws/jobs/" + job + "/");
    socket = ws;
    let opened = false;
    const label = document.getElementById("socket");
    label.textContent = "connecting";
    ws.addEventListener("open", function () { opened = true; label.textContent = "open"; });
    ws.addEventListener("message", function (event) {
      let state;
      try { state = JSON.parse(event.data); } catch (e) { problem("The server sent text that is not JSON: " + event.data); return; }
      if (typeof state.done !== "number" || typeof state.total !== "number" || !state.status) {
        problem("Unexpected message (expected a job state with status, done, total): " + event.data);
        return;
      }
      show(state);
    });
    ws.addEventListener("close", function (event) {
      if (ws !== socket) return;
      label.textContent = "closed (code " + event.code + ")";
      if (!opened) {
        problem("The server refused the WebSocket: an unknown job (code 4404), or the consumer raised " +
                "(see the Daphne terminal).");
      } else if (event.code !== 1000 && event.code !== 1005) {
        problem("The WebSocket closed with code " + event.code + ": see the Daphne terminal.");
      }
    });
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    problem("");
    const started = performance.now();
    let answer, data;
    try {
      answer = await fetch("/jobs/", {
        method: "POST",
        body: new FormData(form),
        headers: {"X-CSRFToken": form.elements.csrfmiddlewaretoken.value},
      });
      data = await answer.json();
    } catch (e) {
      problem("POST /jobs/ failed: " + e);
      return;
    }
    document.getElementById("post-ms").textContent = Math.round(performance.now() - started);
    if (!answer.ok || !data.job) {
      problem("POST /jobs/ answered " + answer.status + ": " + (data.error || JSON.stringify(data)));
      return;
    }
    history.replaceState(null, "", "?job=" + data.job);
    watch(data.job);
  });

  const fromUrl = new URLSearchParams(location.search).get("job");
  if (fromUrl && /^[0-9a-f]{32}$/.test(fromUrl)) watch(fromUrl);
})();
