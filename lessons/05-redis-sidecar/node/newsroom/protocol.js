// The contract between Django and the Node.js sidecar: newsroom/protocol.py, written again in JavaScript.
//
// The learner's sidecar.js reads it with require("newsroom/protocol") (server.js puts this folder
// on Node's module path, as sidecar_server.py puts the lesson on Python's). Every value here must
// equal its twin in protocol.py: change one side and forget the other, and the two servers stop
// understanding each other without an error on either. That is the price of a second language.
"use strict";

const { randomBytes } = require("node:crypto");

const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0";

const TOKEN_SALT = "newsroom.sidecar-token"; // django.core.signing's salt for the sidecar's tokens
const TOKEN_MAX_AGE = 60; // seconds

const ROOMS = ["lobby", "python", "django"];
const ROOM_NAME = /^[a-z0-9-]{1,40}$/;
// No key in the code: a key anyone can read is a key anyone can sign with. server.js reads this
// run's key from --secret-file (the launcher made it); without one, a random key nobody else knows.
const PROCESS_KEY = randomBytes(32).toString("base64url");

const CLOSE_UNAUTHORIZED = 4401; // no token, a bad signature, an expired token, a token for another room
const CLOSE_FORBIDDEN = 4403; // a page from an origin we do not serve
const CLOSE_TOKEN_USED = 4409; // a token that has already opened a socket: each token is good for one
const CLOSE_REDIS_GONE = 1011; // the sidecar lost Redis: the client should reconnect later
const CLOSE_TOO_SLOW = 1013; // "try again later": this client could not keep up

// ws's send() never waits: what a slow client has not read yet piles up in socket.bufferedAmount,
// in this process. One Redis connection serves every socket, so nobody may hold it up: a client
// this far behind is closed, and its page reconnects and catches up (the Python sidecar does the same).
const SLOW_CLIENT_LIMIT = 256 * 1024;

/** The sidecar refuses this connection; the message becomes the close reason. */
class InvalidToken extends Error {
  constructor(message) {
    super(message);
    this.name = "InvalidToken";
  }
}

function secretKey() {
  return process.env.WORKSHOP_SECRET_KEY || PROCESS_KEY;
}

/** The Redis key that records a spent token: "newsroom:nonce:<nonce>". */
function nonceKey(nonce) {
  return `newsroom:nonce:${nonce}`;
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

/** "/ws/lobby?token=abc" -> ["lobby", "abc"]; InvalidToken when either is missing or the room is not Django's. */
function parseWsPath(path) {
  const url = new URL(path, "http://sidecar.invalid");
  const match = /^\/ws\/([^/]+)\/?$/.exec(url.pathname);
  if (!match || !ROOM_NAME.test(match[1])) {
    throw new InvalidToken(`no room in the path '${url.pathname}' (expected /ws/<room>?token=...)`);
  }
  if (!ROOMS.includes(match[1])) { // Django signs only its own rooms; refuse the others before anything
    throw new InvalidToken(`no room '${match[1]}' here`);
  }
  const token = url.searchParams.get("token");
  if (!token) {
    throw new InvalidToken("no token in the query string");
  }
  return [match[1], token];
}

module.exports = {
  TOKEN_SALT, TOKEN_MAX_AGE, ROOMS, CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_TOKEN_USED, CLOSE_REDIS_GONE,
  CLOSE_TOO_SLOW, SLOW_CLIENT_LIMIT, InvalidToken, secretKey, redisUrl, allowedOrigins, channelFor, nonceKey,
  parseWsPath,
};
