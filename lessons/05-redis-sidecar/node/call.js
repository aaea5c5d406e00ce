// Call the learner's sidecar.js functions directly, for the checker (scaffolding):
//
//   echo '[{"fn": "verifyToken", "args": ["a:b:c", "lobby"]}]' | node call.js --exercise-dir exercises/05-redis-sidecar
//
// Prints one JSON line: a result per call, {"value": ...} or {"error": {name, message, where, unwritten}}.
// Arguments are JSON, with {"$undefined": true} for undefined and {"$set": [...]} for a Set.
// The secret is the contract's (WORKSHOP_SECRET_KEY), as in the sidecar itself.
"use strict";

const path = require("node:path");
const Module = require("node:module");
const { parseArgs } = require("node:util");

process.env.NODE_PATH = [path.join(__dirname, "node_modules"), __dirname, process.env.NODE_PATH].filter(Boolean)
  .join(path.delimiter);
Module._initPaths();

function revive(value) {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    if (value.$undefined) return undefined;
    if (Array.isArray(value.$set)) return new Set(value.$set);
  }
  return value;
}

function described(error, file) {
  const frame = String(error && error.stack).split("\n").find((line) => line.includes(file));
  const line = frame && /:(\d+):\d+\)?$/.exec(frame.trim());
  const unwritten = /^not written yet: (\w+)/.exec(error && error.message);
  return {
    name: (error && (error.constructor && error.constructor.name)) || "Error",
    message: String(error && error.message),
    where: line ? `sidecar.js line ${line[1]}` : null,
    unwritten: unwritten ? unwritten[1] : null,
  };
}

async function main() {
  const { values } = parseArgs({ options: { "exercise-dir": { type: "string" } } });
  const file = path.resolve(values["exercise-dir"], "sidecar.js");
  const sidecar = require(file);
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  const results = [];
  for (const { fn, args } of JSON.parse(input)) {
    if (typeof sidecar[fn] !== "function") {
      results.push({ error: { name: "Missing", message: `sidecar.js does not export ${fn}`, where: null, unwritten: null } });
      continue;
    }
    try {
      const value = await sidecar[fn](...args.map(revive));
      results.push({ value: value === undefined ? null : value });
    } catch (error) {
      results.push({ error: described(error, file) });
    }
  }
  process.stdout.write(`${JSON.stringify(results)}\n`);
}

main().catch((error) => {
  console.error(String(error && error.stack));
  process.exit(1);
});
