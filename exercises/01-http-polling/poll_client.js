// Lesson 01: the browser side of polling.
//
// Both loops keep a cursor (the id of the last message seen, starting at 0) and send it
// as ?after=, so the server only ever answers with what is new. Each answer looks like
// {"messages": [{"id": 1, "author": "ada", "text": "hi"}, ...], "cursor": 1}.
//
// Edit this file, save, and reload the page: `python -m checker serve 01` sends the saved version.

/**
 * Short polling: ask every `intervalMs` milliseconds.
 *
 *  - GET `${url}?after=${cursor}`; when the answer has messages, call onMessages(messages)
 *    once with the array; then set cursor to the answer's cursor.
 *  - Schedule the next request with setTimeout *after* each answer, so that slow answers
 *    never pile up.
 *  - A failed request (network error, or response.ok false) calls onError(error) and the
 *    loop goes on.
 *
 * Return { stop() } that ends the loop.
 */
function startPolling({ url, intervalMs = 1000, onMessages, onError = console.warn }) {
  // TODO: write the short-polling loop.
  throw new Error("startPolling is not written yet (exercises/01-http-polling/poll_client.js)");
}

/**
 * Long polling: GET `${url}?after=${cursor}&timeout=${timeoutS}` and ask again as soon as
 * each answer arrives (the server holds each request for up to timeoutS seconds).
 * Same onMessages/cursor rules as above. After a failed request call onError(error) and
 * wait `retryMs` before asking again, so a server that is down is not hammered.
 *
 * Return { stop() } that ends the loop.
 */
function startLongPolling({ url, timeoutS = 25, onMessages, onError = console.warn, retryMs = 1000 }) {
  // TODO: write the long-polling loop (an async function with a while loop works well).
  throw new Error("startLongPolling is not written yet (exercises/01-http-polling/poll_client.js)");
}
