// The contract between Django and the Node.js sidecar: newsroom/protocol.py, written again in JavaScript.
//
// The learner's sidecar.js reads it with require("newsroom/protocol") (server.js puts this folder
// on Node's module path, as sidecar_server.py puts the lesson on Python's). Every value here must
// equal its twin in protocol.py: change one side and forget the other, and the two servers stop
// understanding each other without an error on either. That is the price of a second language.
"use strict";

const DEFAULT_SECRET_KEY = "workshop-lesson-05-not-a-secret";
const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0";

const TOKEN_SALT = "newsroom.sidecar-token"; // django.core.signing's salt for the sidecar's tokens
const TOKEN_MAX_AGE = 60; // seconds

const ROOM_NAME = /^[a-z0-9-]{1,40}$/;

const CLOSE_UNAUTHORIZED = 4401; // no token, a bad signature, an expired token, a token for another room
const CLOSE_FORBIDDEN = 4403; // a page from an origin we do not serve
const CLOSE_REDIS_GONE = 1011; // the sidecar lost Redis: the client should reconnect later
const CLOSE_TOO_SLOW = 1013; // "try again later": this client could not keep up (Node only, see below)

// ws's send() never waits: what a slow client has not read yet piles up in socket.bufferedAmount,
// in this process. The Python sidecar's send() waits past its write_limit (256 KiB) instead; here
// the sidecar closes a client that falls this far behind, and the page reconnects and catches up.
const SLOW_CLIENT_LIMIT = 256 * 1024;

/** The sidecar refuses this connection; the message becomes the close reason. */
class InvalidToken extends Error {
  constructor(message) {
    super(message);
    this.name = "InvalidToken";
  }
}

function secretKey() {
  return process.env.WORKSHOP_SECRET_KEY || DEFAULT_SECRET_KEY;
}

function redisUrl() {
  return process.env.WORKSHOP_REDIS_URL || DEFAULT_REDIS_URL;
}

/** The origins (lowercase, no trailing slash) whose pages may open a socket. */
function allowedOrigins() {
  const raw = process.env.WORKSHOP_ALLOWED_ORIGINS || "";
  return new Set(raw.split(",").map((o) => o.trim().replace(/\/+$/, "").toLowerCase()).filter(Boolean));
}

/** The Redis pub/sub channel of a room: "room:lobby". */
function channelFor(room) {
  return `room:${room}`;
}

/** "/ws/lobby?token=abc" -> ["lobby", "abc"]; InvalidToken when either is missing. */
function parseWsPath(path) {
  const url = new URL(path, "http://sidecar.invalid");
  const match = /^\/ws\/([^/]+)\/?$/.exec(url.pathname);
  if (!match || !ROOM_NAME.test(match[1])) {
    throw new InvalidToken(`no room in the path '${url.pathname}' (expected /ws/<room>?token=...)`);
  }
  const token = url.searchParams.get("token");
  if (!token) {
    throw new InvalidToken("no token in the query string");
  }
  return [match[1], token];
}

module.exports = {
  TOKEN_SALT, TOKEN_MAX_AGE, CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_REDIS_GONE, CLOSE_TOO_SLOW,
  SLOW_CLIENT_LIMIT, InvalidToken, secretKey, redisUrl, allowedOrigins, channelFor, parseWsPath,
};
