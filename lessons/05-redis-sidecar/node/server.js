// Run the learner's Node.js sidecar (scaffolding), the twin of newsroom/sidecar_server.py:
//
//   node lessons/05-redis-sidecar/node/server.js --exercise-dir exercises/05-redis-sidecar --port 8001 \
//       --redis-url redis://127.0.0.1:6379/0 --allowed-origin http://127.0.0.1:8000 --secret-file /tmp/x/key
//
// It loads sidecar.js from the folder given by --exercise-dir, opens the process's one shared Redis
// pub/sub connection (newsroom/hub.js), and serves handleConnection(socket, request, hub) with a
// `ws` WebSocketServer until SIGINT or SIGTERM: one call per connection. The signing key is read
// from --secret-file (the launcher makes a random one per run); --redis-url and --allowed-origin
// default to WORKSHOP_REDIS_URL and WORKSHOP_ALLOWED_ORIGINS. The packages (ws, redis)
// are the ones pinned in package-lock.json next to this file, installed by setup_workshop.py with
// `npm ci`. Lines starting with "Lesson 05:" name the learner's function that failed.
"use strict";

const path = require("node:path");
const Module = require("node:module");
const { parseArgs } = require("node:util");

const HERE = __dirname;
const EXIT_LEARNER_CODE = 1;
const EXIT_PORT_BUSY = 3;
const EXIT_NO_REDIS = 4;
const HEARTBEAT_MS = 20000; // like the Python sidecar's ping_interval=20: find connections that died silently

// The learner's folder has no node_modules: let its require("redis") and require("newsroom/protocol")
// find this folder's. NODE_PATH is Node's documented way; _initPaths re-reads it in this process.
process.env.NODE_PATH = [path.join(HERE, "node_modules"), HERE, process.env.NODE_PATH].filter(Boolean)
  .join(path.delimiter);
Module._initPaths();

const { WebSocketServer } = require("ws");

function options() {
  const { values } = parseArgs({
    options: {
      "exercise-dir": { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8001" },
      "redis-url": { type: "string" },
      "allowed-origin": { type: "string", multiple: true, default: [] },
      "secret-file": { type: "string" },
    },
  });
  if (!values["exercise-dir"]) {
    console.error("usage: node server.js --exercise-dir DIR [--host H] [--port P] [--redis-url URL] "
      + "[--allowed-origin ORIGIN ...]");
    process.exit(2);
  }
  return values;
}

/** "sidecar.js line 42" for the first frame of an error's stack inside the learner's file. */
function where(error, file) {
  const frame = String(error && error.stack).split("\n").find((line) => line.includes(file));
  const match = frame && /:(\d+):\d+\)?$/.exec(frame.trim());
  return match ? `sidecar.js line ${match[1]}` : "sidecar.js";
}

function report(error, file, what) {
  const unwritten = /^not written yet: (\w+)/.exec(error && error.message);
  if (unwritten) {
    console.log(`Lesson 05: ${unwritten[1]}() in sidecar.js is not written yet (it throws "not written yet"): `
      + `${what}.`);
    return `${unwritten[1]}() not written yet`;
  }
  const name = (error && error.name) || "Error";
  console.log(`Lesson 05: ${name}: ${error && error.message} (${where(error, file)}): ${what}.`);
  console.log(error && error.stack);
  return `${name} in the sidecar`.slice(0, 120);
}

function loadLearner(file) {
  try {
    const sidecar = require(file);
    if (typeof sidecar.handleConnection !== "function" || typeof sidecar.dispatch !== "function") {
      throw new Error("sidecar.js does not export handleConnection and dispatch (module.exports = { ..., handleConnection })");
    }
    return sidecar;
  } catch (error) {
    const detail = error instanceof SyntaxError ? String(error.stack).split("\n").slice(0, 3).join(" | ")
      : `${error.name}: ${error.message} (${where(error, file)})`;
    console.error(`Cannot start the sidecar: ${detail}`);
    process.exit(EXIT_LEARNER_CODE);
  }
}

/** This run's signing key, from the file the launcher wrote; secretKey() (protocol.js) returns it from now on. */
function useSecretFile(file) {
  const key = require("node:fs").readFileSync(file, "utf8").trim();
  if (key.length < 32) {
    console.error(`Cannot start the sidecar: the key in ${file} is too short (32 characters or more)`);
    process.exit(2);
  }
  process.env.WORKSHOP_SECRET_KEY = key; // in this process only: the learner's signatureOf reads secretKey()
}

/**
 * True when nothing accepts connections on host:port. It asks by connecting, never by listening:
 * a probe that listened would itself accept connections for a moment, and a launcher waiting for
 * the port would take that moment for "ready" while Redis and the real server are still to come.
 * A port bound but not listening is caught later, by the server's EADDRINUSE.
 */
function portIsFree(host, port) {
  return new Promise((resolve) => {
    const probe = require("node:net").connect({ host, port });
    probe.setTimeout(1000, () => { probe.destroy(); resolve(true); });
    probe.once("connect", () => { probe.destroy(); resolve(false); });
    probe.once("error", () => resolve(true));
  });
}

async function main() {
  const args = options();
  if (args["redis-url"]) process.env.WORKSHOP_REDIS_URL = args["redis-url"];
  if (args["allowed-origin"].length) process.env.WORKSHOP_ALLOWED_ORIGINS = args["allowed-origin"].join(",");
  if (args["secret-file"]) useSecretFile(args["secret-file"]);
  const file = path.resolve(args["exercise-dir"], "sidecar.js");
  const sidecar = loadLearner(file);
  const { Hub } = require("newsroom/hub");
  const { redisUrl } = require("newsroom/protocol");
  // A busy port is reported first (as sidecar_server.py does); then the shared Redis connection opens,
  // before the port accepts anything: a refused client must find it there and cost nothing.
  if (!(await portIsFree(args.host, Number(args.port)))) {
    console.error(`Port ${args.port} on ${args.host} is already in use: stop what uses it, or pick another port.`);
    process.exit(EXIT_PORT_BUSY);
  }
  let hub;
  try {
    hub = await new Hub(redisUrl(), (...call) => sidecar.dispatch(...call)).start();
  } catch (error) {
    console.error(`Cannot start the sidecar: Redis at ${redisUrl()} did not answer (${error && error.message})`);
    process.exit(EXIT_NO_REDIS);
  }

  // A mistake in a callback (a Redis listener, a "close" handler) must not take every connection down
  // in a workshop: say where it was, and carry on.
  process.on("uncaughtException", (error) => report(error, file, "the sidecar carries on"));
  process.on("unhandledRejection", (error) => report(error, file, "the sidecar carries on"));

  const server = new WebSocketServer({ host: args.host, port: Number(args.port), maxPayload: 64 * 1024 });
  server.on("connection", (socket, request) => {
    socket.alive = true;
    socket.on("pong", () => { socket.alive = true; });
    socket.on("error", () => {}); // a broken connection ends in "close", which the handler watches
    Promise.resolve()
      .then(() => sidecar.handleConnection(socket, request, hub))
      .catch((error) => {
        const reason = report(error, file, "the connection was closed with code 1011");
        if (socket.readyState === 1) socket.close(1011, reason);
      });
  });
  const heartbeat = setInterval(() => {
    for (const socket of server.clients) {
      if (!socket.alive) socket.terminate();
      socket.alive = false;
      socket.ping();
    }
  }, HEARTBEAT_MS);
  server.on("listening", () => {
    console.log(`Sidecar (Node.js ${process.version}) listening on ws://${args.host}:${args.port}/ws/<room>?token=...`);
  });
  server.on("error", (error) => {
    if (error.code === "EADDRINUSE") {
      console.error(`Port ${args.port} on ${args.host} is already in use: stop what uses it, or pick another port.`);
      process.exit(EXIT_PORT_BUSY);
    }
    // Not thrown: the uncaughtException handler above would report it and carry on, never listening.
    console.error(`Cannot listen on ${args.host}:${args.port}: ${error.code || error.name}: ${error.message}`);
    process.exit(EXIT_PORT_BUSY);
  });
  const stop = () => {
    clearInterval(heartbeat);
    for (const socket of server.clients) socket.terminate();
    server.close(() => hub.close().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main();
