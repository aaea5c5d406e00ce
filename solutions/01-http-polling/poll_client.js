// Lesson 01: the browser side of polling.
//
// Both loops keep a cursor (the id of the last message seen) and send it as ?after=,
// so the server only ever answers with what is new.

/**
 * Short polling: ask every `intervalMs` milliseconds.
 * Returns { stop() } to end the loop.
 */
function startPolling({ url, intervalMs = 1000, onMessages, onError = console.warn }) {
  let cursor = 0;
  let stopped = false;
  let timer = null;

  async function tick() {
    try {
      const response = await fetch(url + "?after=" + cursor, { cache: "no-store" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      const data = await response.json();
      if (data.messages.length > 0) onMessages(data.messages);
      cursor = data.cursor;
    } catch (error) {
      onError(error);  // keep polling: the next tick may succeed
    }
    // setTimeout after the answer (not setInterval): slow answers never pile up.
    if (!stopped) timer = setTimeout(tick, intervalMs);
  }

  tick();
  return { stop() { stopped = true; clearTimeout(timer); } };
}

/**
 * Long polling: ask again as soon as each answer arrives; the server holds each
 * request open for up to `timeoutS` seconds. After an error, wait `retryMs` first
 * so that a server that is down is not hammered.
 */
function startLongPolling({ url, timeoutS = 25, onMessages, onError = console.warn, retryMs = 1000 }) {
  let cursor = 0;
  let stopped = false;
  const controller = new AbortController();

  async function loop() {
    while (!stopped) {
      try {
        const response = await fetch(url + "?after=" + cursor + "&timeout=" + timeoutS,
                                     { cache: "no-store", signal: controller.signal });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const data = await response.json();
        if (data.messages.length > 0) onMessages(data.messages);
        cursor = data.cursor;
      } catch (error) {
        if (stopped) return;
        onError(error);
        await new Promise((resolve) => setTimeout(resolve, retryMs));
      }
    }
  }

  loop();
  return { stop() { stopped = true; controller.abort(); } };
}
