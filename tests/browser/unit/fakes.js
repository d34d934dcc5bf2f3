// fakes.js — a fake clock with timers and fake sockets, for unit tests of the web client's DOM-free
// modules (session.js takes them as its `env`). Time moves only when a test says so.

/** A clock whose timers fire only in advance(). */
export class FakeClock {
  constructor() {
    this.t = 1000;
    this.nextId = 1;
    /** @type {Map<number, { at: number, fn: () => void, every: number }>} */
    this.timers = new Map();
  }

  now() { return this.t; }

  /** @param {() => void} fn @param {number} ms @param {number} [every] */
  add(fn, ms, every = 0) {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn, every });
    return id;
  }

  /** Move time forward by `ms`, firing every timer due, in order. @param {number} ms */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let next = null;
      for (const [id, timer] of this.timers) if (timer.at <= end && (!next || timer.at < next[1].at)) next = [id, timer];
      if (!next) break;
      const [id, timer] = next;
      this.t = timer.at;
      if (timer.every) timer.at += timer.every;
      else this.timers.delete(id);
      timer.fn();
    }
    this.t = end;
  }
}

/** A socket the test opens, feeds and closes by hand; it records what the client sent. */
export class FakeSocket extends EventTarget {
  /** @param {string} url */
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    /** @type {any[]} messages the client sent, parsed */
    this.sent = [];
    this.closedWith = null;
  }

  send(data) { this.sent.push(JSON.parse(data)); }

  close(code = 1005) {
    if (this.readyState === 3) return;
    this.closedWith = code;
    this.readyState = 3;
  }

  /** The server accepts the connection. */
  serverOpen() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }

  /** The server sends a message. @param {Record<string, unknown>} msg */
  serverSend(msg) {
    const ev = new Event('message');
    ev.data = JSON.stringify(msg);
    this.dispatchEvent(ev);
  }

  /** The connection closes (server side, or the network). @param {number} code */
  serverClose(code) {
    this.readyState = 3;
    const ev = new Event('close');
    ev.code = code;
    ev.reason = '';
    this.dispatchEvent(ev);
  }

  /** Messages of one type the client sent. @param {string} type */
  sentOf(type) { return this.sent.filter((m) => m.type === type); }
}

/** An env for session.js over a FakeClock, recording every socket opened. */
export function fakeEnv() {
  const clock = new FakeClock();
  /** @type {FakeSocket[]} */
  const sockets = [];
  const env = {
    open: (url) => { const s = new FakeSocket(url); sockets.push(s); return s; },
    now: () => clock.now(),
    setTimeout: (fn, ms) => clock.add(fn, ms),
    clearTimeout: (t) => { clock.timers.delete(t); },
    setInterval: (fn, ms) => clock.add(fn, ms, ms),
    clearInterval: (t) => { clock.timers.delete(t); },
    random: () => 0.5,
    browserKey: () => undefined,
  };
  return { env, clock, sockets, last: () => sockets[sockets.length - 1] };
}

/** Collect the events a target dispatches, as [type, detail]. @param {EventTarget} target @param {string[]} types */
export function record(target, types) {
  /** @type {[string, any][]} */
  const seen = [];
  for (const type of types) target.addEventListener(type, (e) => seen.push([type, e.detail]));
  return seen;
}
