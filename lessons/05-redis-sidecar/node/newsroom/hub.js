// One Redis pub/sub connection for the whole Node.js sidecar (scaffolding): newsroom/hub.py, in JavaScript.
//
// An attack run opened 1,000 sockets with one token on a sidecar that gave each socket a Redis
// connection of its own: 1,001 connections. The hub caps that: one connection in subscriber mode
// shared by every socket, and one for ordinary commands (hub.client: spendNonce runs SET NX there;
// node-redis pipelines commands on it, so one is enough). The learner's sidecar.js keeps the
// bookkeeping:
//   hub.rooms                     the fan-out table, Map room -> Set of sockets, kept by join/leave;
//   await hub.subscribe(channel)  SUBSCRIBE once per channel; resolves once Redis confirmed it;
//   await hub.unsubscribe(channel) UNSUBSCRIBE (when the room's last socket left);
// and every published message goes to the learner's dispatch(hub, room, text).
// When Redis goes away, every socket is closed with CLOSE_REDIS_GONE; pages reconnect.
"use strict";

const { createClient } = require("redis");
const { CLOSE_REDIS_GONE } = require("newsroom/protocol");

class Hub {
  constructor(url, dispatch) {
    this.client = createClient({ url, socket: { reconnectStrategy: false } });
    this.subscriber = this.client.duplicate();
    this.rooms = new Map();
    this.dispatch = dispatch;
    this.subscribed = new Map(); // channel -> the promise of its SUBSCRIBE
    const lost = () => this.closeAll();
    this.client.on("error", lost);
    this.subscriber.on("error", lost);
  }

  async start() {
    await Promise.all([this.client.connect(), this.subscriber.connect()]);
    return this;
  }

  subscribe(channel) {
    let confirmed = this.subscribed.get(channel);
    if (!confirmed) {
      const room = channel.slice(channel.indexOf(":") + 1);
      confirmed = this.subscriber.subscribe(channel, (text) => {
        try {
          this.dispatch(this, room, text);
        } catch (error) {
          console.log(`Lesson 05: dispatch() threw ${error && error.name}: ${error && error.message}`);
        }
      });
      this.subscribed.set(channel, confirmed);
      confirmed.catch(() => this.subscribed.delete(channel));
    }
    return confirmed;
  }

  async unsubscribe(channel) {
    if (this.subscribed.delete(channel)) {
      await this.subscriber.unsubscribe(channel);
    }
  }

  closeAll() {
    for (const sockets of this.rooms.values()) {
      for (const socket of sockets) {
        if (socket.readyState === 1) socket.close(CLOSE_REDIS_GONE, "the sidecar lost Redis");
      }
    }
  }

  async close() {
    for (const client of [this.subscriber, this.client]) {
      try {
        if (client.isOpen) await client.close();
      } catch {
        client.destroy();
      }
    }
  }
}

module.exports = { Hub };
