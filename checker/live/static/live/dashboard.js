// The instructor's live view. Every learner-supplied string reaches the page through
// textContent or setAttribute, never innerHTML: a learner called <img src=x onerror=...> is
// shown as those characters. The server sends whole snapshots, so drawing is one function.
"use strict";
(function () {
  const STATUSES = new Set(["pass", "fail", "error", "timeout", "skip", "waiting", "ungraded"]);
  const token = new URLSearchParams(location.search).get("token") || "";
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "text") node.textContent = value;
      else node.setAttribute(key, String(value));
    }
    node.append(...children);  // strings become text nodes
    return node;
  }

  function cellFor(exercise, cell) {
    if (!cell) return el("td", {class: "s-ungraded", "data-exercise": exercise.id, "data-status": "none", text: "·"});
    const status = STATUSES.has(cell.status) ? cell.status : "ungraded";
    let tip = `${exercise.id} ${exercise.title}: ${status}`;
    if (cell.failing) tip += `\nfailing: ${cell.failing_title} (${cell.failing})`;
    if (cell.hint_rung) tip += `\nhints read: ${cell.hint_rung}`;
    return el("td", {class: `s-${status}`, "data-exercise": exercise.id, "data-status": status,
                     "data-failing": cell.failing || "", title: tip,
                     text: status === "ungraded" ? "·" : String(cell.score)});
  }

  function drawGrid(room) {
    $("grid").tHead.replaceChildren(el("tr", {},
      el("th", {text: "learner"}),
      ...room.exercises.map((e) => el("th", {title: e.title, text: e.id})),
      el("th", {text: "total"}), el("th", {text: "done"})));
    $("grid").tBodies[0].replaceChildren(...room.learners.map((learner) => el("tr", {"data-key": learner.key},
      el("td", {class: "name", title: learner.name, text: learner.name}),
      ...room.exercises.map((e) => cellFor(e, learner.cells[e.id])),
      el("td", {text: String(learner.total)}),
      el("td", {text: `${learner.complete}/${room.exercises.length}`}))));
    $("count").textContent = `${room.learners.length} learner${room.learners.length === 1 ? "" : "s"}`;
  }

  function drawAttention(room) {
    const common = room.common;
    $("common").replaceChildren(common
      ? el("div", {},
          el("p", {}, el("strong", {text: `${common.exercise} · ${common.title}`}),
             ` — ${common.learners} learner${common.learners === 1 ? "" : "s"} (${common.check})`),
          el("p", {class: "hint", text: common.hint || "(no hint in the lesson record)"}))
      : el("p", {class: "empty", text: "Nobody is failing a check."}));
    $("stuck").replaceChildren(...room.stuck.map((s) =>
      el("li", {"data-check": s.check}, el("strong", {text: s.name}),
         ` — ${s.exercise}: ${s.title} (${s.minutes} min, hints read: ${s.hint_rung})`)));
  }

  function drawProgress(room) {
    const points = room.progress;
    const svg = $("progress");
    if (!points.length) return;
    const last = points[points.length - 1];
    $("progress-label").textContent = `${last[1]} exercises complete, ${last[2]} points across the room`;
    const t0 = points[0][0], t1 = Math.max(last[0], t0 + 1);
    const top = Math.max(1, ...points.map((p) => p[1]));
    const coords = points.map((p) => `${(300 * (p[0] - t0) / (t1 - t0)).toFixed(1)},${(78 - 76 * p[1] / top).toFixed(1)}`);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", coords.length > 1 ? coords.join(" ") : `0,${coords[0].split(",")[1]} ${coords[0]}`);
    svg.replaceChildren(line);
  }

  function draw(room) {
    drawGrid(room);
    drawAttention(room);
    drawProgress(room);
    document.body.dataset.version = String(room.version);
  }

  let delay = 500;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/ws/room/?token=${encodeURIComponent(token)}`);
    socket.onopen = () => {
      delay = 500;
      document.body.dataset.connected = "yes";
      $("connection").textContent = "live";
    };
    socket.onmessage = (event) => draw(JSON.parse(event.data));
    socket.onclose = (event) => {
      document.body.dataset.connected = "no";
      if (event.code === 4403) {
        $("connection").textContent = "refused: wrong instructor token (use the URL room serve printed)";
        return;
      }
      $("connection").textContent = "dashboard unreachable, reconnecting…";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 3000);
    };
  }
  connect();
})();
