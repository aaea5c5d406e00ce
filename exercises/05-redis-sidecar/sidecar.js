// Lesson 05, the Node.js variant: the same sidecar as sidecar.py, in JavaScript ("something like Node.js").
//
// lessons/05-redis-sidecar/node/server.js (scaffolding) runs a `ws` WebSocketServer and calls
// handleConnection(socket, request, hub) once per connection; the hub (node/newsroom/hub.js) is the
// process's one shared Redis pub/sub connection, and calls dispatch for each published message.
// Django does not change at all: it signs the same tokens and publishes the same JSON. What changes
// is that nothing here knows Django's signing format, so verifyToken re-implements it with
// node:crypto. Same contract, same checks: after `python -m checker pick 05 node`, python -m checker 05 grades this file.
//
// Suggested order: signatureOf, verifyToken, checkOrigin, spendNonce, forwardMessage, join, leave,
// dispatch, handleConnection.
// Run it by hand: python lessons/05-redis-sidecar/demo.py --node (add --exercise-dir solutions/05-redis-sidecar
// for the reference).
"use strict";

const { createHash, createHmac, timingSafeEqual } = require("node:crypto");
const { inflateSync } = require("node:zlib");
const {
  CLOSE_FORBIDDEN, CLOSE_TOKEN_USED, CLOSE_TOO_SLOW, CLOSE_UNAUTHORIZED, SLOW_CLIENT_LIMIT, TOKEN_MAX_AGE,
  TOKEN_SALT, InvalidToken, allowedOrigins, channelFor, nonceKey, parseWsPath, secretKey,
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
  // TODO: derive the key with SHA-256, then HMAC-SHA256 of value, as base64url
  throw new Error("not written yet: signatureOf");
}

/**
 * { user, nonce } from a valid token for `room`; throw new InvalidToken("why") otherwise.
 *
 * A token from signing.dumps(obj, salt=TOKEN_SALT) reads `payload:timestamp:signature`:
 *   - payload: the JSON of {"user": ..., "room": ..., "nonce": ...} in base64url (a "." in front means zlib-compressed);
 *   - timestamp: whole seconds since 1970 in base 62, digits 0-9, A-Z, then a-z;
 *   - signature: signatureOf("payload:timestamp"), everything before the last ":".
 * Check, in this order: the signature (compare with crypto.timingSafeEqual, which needs two
 * Buffers of the same length: a different length is simply a bad signature), then the age (older
 * than maxAge seconds: expired), then the payload: an object with a string "user", a non-empty
 * string "nonce" (what makes the token single-use: see spendNonce), and "room" equal to `room`
 * (a token for #lobby must not open #python). Anything that is not a token at all
 * is a bad signature too. The message of each InvalidToken becomes the close reason.
 */
function verifyToken(token, room, maxAge = TOKEN_MAX_AGE) {
  // TODO: split the token, compare signatures in constant time, check the age, then the payload (user, nonce) and its room
  throw new Error("not written yet: verifyToken");
}

/**
 * True when a page from `origin` may open a socket here.
 *
 * `origin` is the handshake's Origin header (undefined when there is none: refuse it); `allowed`
 * is a Set of lowercase origins without a trailing slash. Compare the whole origin,
 * case-insensitively, ignoring a trailing "/": never a prefix test.
 */
function checkOrigin(origin, allowed) {
  // TODO: an exact, case-insensitive match against the allowed set
  throw new Error("not written yet: checkOrigin");
}

/**
 * True the first time a token's nonce is spent, false ever after (within the token's lifetime).
 *
 * A signature proves Django made the token; it does not stop it from being used again. `client` is
 * the hub's node-redis client. SET key value NX EX seconds sets the key only if it does not exist
 * yet, atomically: node-redis answers "OK" when it did, null when the key was already there. The
 * key is nonceKey(nonce); let it expire after TOKEN_MAX_AGE seconds (with node-redis 5:
 * client.set(key, "1", { condition: "NX", expiration: { type: "EX", value: TOKEN_MAX_AGE } })).
 */
async function spendNonce(client, nonce) {
  // TODO: SET nonceKey(nonce) only if it does not exist, with an expiry; true when it was set
  throw new Error("not written yet: spendNonce");
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
  // TODO: send the text to an open socket; close a client that is too far behind
  throw new Error("not written yet: forwardMessage");
}

/**
 * Add `socket` to the room's Set in hub.rooms (a Map; create the Set the first time), then
 * await hub.subscribe(channelFor(room)): it sends SUBSCRIBE only for a channel not subscribed yet,
 * and resolves once Redis has confirmed it. Every socket shares the hub's one connection: no
 * createClient of your own here.
 */
async function join(hub, room, socket) {
  // TODO: add the socket to the room's Set, then await hub.subscribe(...)
  throw new Error("not written yet: join");
}

/**
 * Take `socket` out of the room's Set (it may already be gone); when the Set is empty, delete the
 * room from hub.rooms and await hub.unsubscribe(channelFor(room)). Never throws.
 */
async function leave(hub, room, socket) {
  // TODO: remove the socket; unsubscribe when the room is empty
  throw new Error("not written yet: leave");
}

/**
 * Send `text` to every socket of `room` in hub.rooms with forwardMessage. The hub calls this for
 * every published message; it must never wait for one client.
 */
function dispatch(hub, room, text) {
  // TODO: forwardMessage to every socket of the room
  throw new Error("not written yet: dispatch");
}

/**
 * One connection: check it, spend its token, join the room, say ready, leave when it closes.
 *
 * 1. checkOrigin(request.headers.origin, allowedOrigins()) or socket.close(CLOSE_FORBIDDEN, "origin not allowed").
 * 2. const [room, token] = parseWsPath(request.url); const { user, nonce } = verifyToken(token, room);
 *    both throw InvalidToken: socket.close(CLOSE_UNAUTHORIZED, problem.message). Refuse *before*
 *    touching Redis: a refused client must cost nothing.
 * 3. await spendNonce(hub.client, nonce); false means the token was used before:
 *    socket.close(CLOSE_TOKEN_USED, "this token was already used: ask Django for a new one").
 * 4. socket.on("close", () => leave(hub, room, socket)) first (the "close" event comes for a clean
 *    goodbye and a broken connection alike), then await join(hub, room, socket).
 * 5. If the socket is still open (readyState 1), send JSON.stringify({ type: "ready", room, user }).
 *    The page waits for it, then asks Django for what it missed. If it closed while you waited for
 *    Redis, await leave(hub, room, socket) now: its "close" event may have come before join added it.
 */
async function handleConnection(socket, request, hub) {
  // TODO: Origin, then the token, then spend it, then join, say ready, leave on close
  throw new Error("not written yet: handleConnection");
}

module.exports = {
  signatureOf, verifyToken, checkOrigin, spendNonce, forwardMessage, join, leave, dispatch, handleConnection,
};
