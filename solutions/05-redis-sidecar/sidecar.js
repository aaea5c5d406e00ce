// Lesson 05, the Node.js variant: the same sidecar as sidecar.py, in JavaScript ("something like Node.js").
//
// lessons/05-redis-sidecar/node/server.js (scaffolding) runs a `ws` WebSocketServer and calls
// handleConnection(socket, request) once per connection. Django does not change at all: it signs
// the same tokens and publishes the same JSON. What changes is that nothing here knows Django's
// signing format, so verifyToken re-implements it with node:crypto. Same contract, same checks:
// python -m checker 05 grades this file in its "node" ring.
//
// Suggested order: signatureOf, verifyToken, checkOrigin, forwardMessage, cleanUp, handleConnection.
// Run it by hand: python lessons/05-redis-sidecar/demo.py --node (add --exercise-dir solutions/05-redis-sidecar
// for the reference).
"use strict";

const { createHash, createHmac, timingSafeEqual } = require("node:crypto");
const { inflateSync } = require("node:zlib");
const { createClient } = require("redis");
const {
  CLOSE_FORBIDDEN, CLOSE_REDIS_GONE, CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED, SLOW_CLIENT_LIMIT, TOKEN_MAX_AGE,
  TOKEN_SALT, InvalidToken, allowedOrigins, channelFor, parseWsPath, redisUrl, secretKey,
} = require("newsroom/protocol");

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const OPEN = 1; // WebSocket.OPEN

/**
 * Django's signature of `value` (django.core.signing.Signer.signature with the lesson's salt).
 *
 * Django derives a key from the salt and the secret, then signs with HMAC-SHA256
 * (django.utils.crypto.salted_hmac): key = SHA-256 of the text `${TOKEN_SALT}signer${secret}`
 * (the salt, the word "signer", the secret, run together), and the signature is the HMAC-SHA256
 * of `value` with that key, encoded in URL-safe base64 without the "=" padding ("base64url").
 */
function signatureOf(value, secret = secretKey()) {
  const key = createHash("sha256").update(`${TOKEN_SALT}signer${secret}`).digest();
  return createHmac("sha256", key).update(value).digest("base64url");
}

/**
 * The user name inside a valid token for `room`; throw new InvalidToken("why") otherwise.
 *
 * A token from signing.dumps(obj, salt=TOKEN_SALT) reads `payload:timestamp:signature`:
 *   - payload: the JSON of {"user": ..., "room": ...} in base64url (a "." in front means zlib-compressed);
 *   - timestamp: whole seconds since 1970 in base 62, digits 0-9, A-Z, then a-z;
 *   - signature: signatureOf("payload:timestamp"), everything before the last ":".
 * Check, in this order: the signature (compare with crypto.timingSafeEqual, which needs two
 * Buffers of the same length: a different length is simply a bad signature), then the age (older
 * than maxAge seconds: expired), then the payload: an object with a string "user", and "room"
 * equal to `room` (a token for #lobby must not open #python). Anything that is not a token at all
 * is a bad signature too. The message of each InvalidToken becomes the close reason.
 */
function verifyToken(token, room, maxAge = TOKEN_MAX_AGE) {
  const cut = token.lastIndexOf(":");
  const signed = token.slice(0, cut);
  const given = Buffer.from(token.slice(cut + 1));
  const expected = Buffer.from(signatureOf(signed));
  if (cut < 0 || !signed.includes(":") || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidToken("the token's signature is not valid");
  }
  const [payload, stamp] = [signed.slice(0, signed.lastIndexOf(":")), signed.slice(signed.lastIndexOf(":") + 1)];
  const signedAt = [...stamp].reduce((total, digit) => total * 62 + BASE62.indexOf(digit), 0);
  if (Date.now() / 1000 - signedAt > maxAge) {
    throw new InvalidToken("the token has expired: ask Django for a new one");
  }
  let data;
  try {
    const raw = payload.startsWith(".") ? inflateSync(Buffer.from(payload.slice(1), "base64url"))
      : Buffer.from(payload, "base64url");
    data = JSON.parse(raw.toString("latin1")); // Django's JSONSerializer: ASCII JSON, read as latin-1
  } catch {
    throw new InvalidToken("the token's payload is not JSON");
  }
  if (data === null || typeof data !== "object" || Array.isArray(data) || typeof data.user !== "string") {
    throw new InvalidToken("the token does not name a user");
  }
  if (data.room !== room) {
    throw new InvalidToken(`the token is for another room, not '${room}'`);
  }
  return data.user;
}

/**
 * True when a page from `origin` may open a socket here.
 *
 * `origin` is the handshake's Origin header (undefined when there is none: refuse it); `allowed`
 * is a Set of lowercase origins without a trailing slash. Compare the whole origin,
 * case-insensitively, ignoring a trailing "/": never a prefix test.
 */
function checkOrigin(origin, allowed) {
  return typeof origin === "string" && allowed.has(origin.replace(/\/+$/, "").toLowerCase());
}

/**
 * Send one published message (the JSON text Django published) to the client, unchanged, as a text frame.
 *
 * socket.send(text) with a string makes a text frame. It never waits: what the client has not read
 * yet waits in socket.bufferedAmount, in this process. Send nothing to a socket that is no longer
 * open (readyState !== 1), and close a client that is more than SLOW_CLIENT_LIMIT bytes behind
 * with CLOSE_TOO_SLOW (its page reconnects and catches up from Django's history).
 */
function forwardMessage(socket, text) {
  if (socket.readyState !== OPEN) {
    return;
  }
  if (socket.bufferedAmount > SLOW_CLIENT_LIMIT) {
    socket.close(CLOSE_TOO_SLOW, "too far behind: reconnect and catch up");
    return;
  }
  socket.send(text);
}

/**
 * End one connection's subscription and close its own Redis connection; never throws.
 *
 * When the client is open (subscriber.isOpen): await subscriber.unsubscribe(), then
 * await subscriber.close(). If either fails (Redis already gone), subscriber.destroy() drops the
 * connection at once. Called when the client leaves, and when it left while we were subscribing.
 */
async function cleanUp(subscriber) {
  try {
    if (subscriber.isOpen) {
      await subscriber.unsubscribe();
      await subscriber.close();
    }
  } catch {
    try {
      subscriber.destroy();
    } catch {
      // already closed: nothing is left to release
    }
  }
}

/**
 * One connection: check it, subscribe, say ready, forward until the client leaves, then clean up.
 *
 * 1. checkOrigin(request.headers.origin, allowedOrigins()) or socket.close(CLOSE_FORBIDDEN, "origin not allowed").
 * 2. const [room, token] = parseWsPath(request.url); const user = verifyToken(token, room); both
 *    throw InvalidToken: socket.close(CLOSE_UNAUTHORIZED, problem.message). Refuse *before* touching
 *    Redis: a refused client must cost nothing.
 * 3. One Redis client per connection: createClient({ url: redisUrl(), socket: { reconnectStrategy: false } }),
 *    with an "error" listener that closes the socket with CLOSE_REDIS_GONE (without one, an error
 *    kills the process). await subscriber.connect(), then
 *    await subscriber.subscribe(channelFor(room), (text) => forwardMessage(socket, text)):
 *    that promise resolves once Redis has *confirmed* the SUBSCRIBE.
 * 4. Only then send JSON.stringify({ type: "ready", room, user }). The page waits for it, then asks
 *    Django for what it missed.
 * 5. The client may have left while you waited for Redis: if socket.readyState is no longer 1,
 *    cleanUp(subscriber) now. Otherwise socket.on("close", () => cleanUp(subscriber)): the "close"
 *    event comes for a clean goodbye and for a broken connection alike.
 */
async function handleConnection(socket, request) {
  if (!checkOrigin(request.headers.origin, allowedOrigins())) {
    socket.close(CLOSE_FORBIDDEN, "origin not allowed");
    return;
  }
  let room;
  let user;
  try {
    let token;
    [room, token] = parseWsPath(request.url);
    user = verifyToken(token, room);
  } catch (problem) {
    if (!(problem instanceof InvalidToken)) {
      throw problem;
    }
    socket.close(CLOSE_UNAUTHORIZED, problem.message.slice(0, 120));
    return;
  }
  const subscriber = createClient({ url: redisUrl(), socket: { reconnectStrategy: false } });
  subscriber.on("error", () => {
    if (socket.readyState === OPEN) {
      socket.close(CLOSE_REDIS_GONE, "the sidecar lost Redis");
    }
  });
  try {
    await subscriber.connect();
    await subscriber.subscribe(channelFor(room), (text) => forwardMessage(socket, text));
  } catch {
    await cleanUp(subscriber);
    if (socket.readyState === OPEN) {
      socket.close(CLOSE_REDIS_GONE, "the sidecar could not subscribe");
    }
    return;
  }
  if (socket.readyState !== OPEN) {
    await cleanUp(subscriber);
    return;
  }
  socket.on("close", () => cleanUp(subscriber));
  socket.send(JSON.stringify({ type: "ready", room, user }));
}

module.exports = { signatureOf, verifyToken, checkOrigin, forwardMessage, cleanUp, handleConnection };
