// Switchboard's Node SDK, no dependencies (Node 18+: global fetch, node:crypto).
//
// - Client (./client.js): the REST API (/v1), one resource per collection, lists as
//   async iterators over every page, audio up and down, errors as ApiError carrying the
//   server's code, message and field.
// - Document, Gather and the dial targets: verb documents as the contract has them.
// - verifySignature and webhookHandler: check Switchboard-Signature and answer calls
//   from node:http.

import { createHmac, timingSafeEqual } from "node:crypto";

export {
  ApiError, Applications, Client, DayNights, Extensions, Item, Queues, Recordings, Resource,
  TimeConditions, Voicemail,
} from "./client.js";

// Options are given in camelCase (answerOnBridge) or as the contract spells them
// (answer_on_bridge); the contract's snake_case is what is sent.
const snake = (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** `fields` given a value, under the contract's names. */
function given(fields) {
  const out = {};
  for (const [k, value] of Object.entries(fields)) if (value !== undefined && value !== null) out[snake(k)] = value;
  return out;
}

const verb = (name, fields = {}) => ({ verb: name, ...given(fields) });
const target = (type, fields) => ({ type, ...given(fields) });
/** A dial target: every registered device of an extension. */
export const dialExtension = (number, fields = {}) => target("extension", { number, ...fields });
/** A dial target: a number through the dial plan (an extension, else a route). */
export const dialNumber = (number, fields = {}) => target("number", { number, ...fields });
/** A dial target: a SIP URI. */
export const dialSip = (uri, fields = {}) => target("sip", { uri, ...fields });
/** A dial target: a number through one trunk, whatever the routes say. */
export const dialTrunk = (trunk, number, fields = {}) => target("trunk", { trunk, number, ...fields });
/** A dial target: the members of a queue. */
export const dialQueue = (queue) => target("queue", { queue });

/** A gather: its settings (numDigits, action, timeout, finishOnKey, interDigitTimeout,
 * input) and its prompts (say, play, pause). */
export class Gather {
  constructor(fields = {}) {
    this.fields = fields;
    this.prompts = [];
  }
  say(text, options = {}) {
    this.prompts.push(verb("say", { text, ...options }));
    return this;
  }
  play(options = {}) {
    this.prompts.push(verb("play", options));
    return this;
  }
  pause(length) {
    this.prompts.push(verb("pause", { length }));
    return this;
  }
  toJSON() {
    return verb("gather", { prompts: this.prompts.length ? this.prompts : undefined, ...this.fields });
  }
}

/** A verb document: each method appends a verb and returns the document. */
export class Document {
  constructor() {
    this.verbs = [];
  }
  add(v) {
    this.verbs.push(v);
    return this;
  }
  /** Speak `text` ({ language, voice, loop }). */
  say(text, options = {}) {
    return this.add(verb("say", { text, ...options }));
  }
  /** Play a recording or a URL ({ recording } or { url }, and loop). */
  play(options = {}) {
    return this.add(verb("play", options));
  }
  pause(length) {
    return this.add(verb("pause", { length }));
  }
  gather(gather) {
    return this.add(gather.toJSON());
  }
  /** Ring `targets` ({ timeout, action, strategy, callerId, callerName, answerOnBridge,
   * record, timeLimit, ringback }). */
  dial(targets, options = {}) {
    return this.add(verb("dial", { targets, ...options }));
  }
  /** Record the caller ({ maxLength, action, finishOnKey, timeout, playBeep,
   * recordingStatusCallback }). */
  record(options = {}) {
    return this.add(verb("record", options));
  }
  /** Continue elsewhere ({ url } or { destination }). */
  redirect(options = {}) {
    return this.add(verb("redirect", options));
  }
  /** Wait in `queue` ({ waitUrl, action }). */
  enqueue(queue, options = {}) {
    return this.add(verb("enqueue", { queue, ...options }));
  }
  /** Leave the queue the caller waits in (in a waitUrl document). */
  leave() {
    return this.add(verb("leave"));
  }
  reject(reason) {
    return this.add(verb("reject", { reason }));
  }
  hangup() {
    return this.add(verb("hangup"));
  }
  toJSON() {
    return [...this.verbs];
  }
}

/** Why a webhook's signature was refused. */
export class SignatureError extends Error {
  constructor(message) {
    super(message);
    this.name = "SignatureError";
  }
}

/**
 * Throws SignatureError unless `header` (`t=<unix>,v1=<hex>`) is HMAC-SHA256 with
 * `secret` over `t + "." + body`, made within `toleranceS` seconds of `nowS`.
 */
export function verifySignature(secret, header, body, { toleranceS = 300, nowS = Date.now() / 1000 } = {}) {
  let timestamp = null;
  const tags = [];
  for (const part of String(header).split(",")) {
    const [name, value] = part.trim().split("=", 2);
    if (name === "t" && /^\d+$/.test(value ?? "")) timestamp = Number(value);
    else if (name === "v1" && value) tags.push(value);
  }
  if (timestamp === null || tags.length === 0) throw new SignatureError("malformed signature header (expected t=<unix>,v1=<hex>)");
  const age = Math.abs(nowS - timestamp);
  if (age > toleranceS) throw new SignatureError(`the signature is ${Math.round(age)} s old, beyond the ${toleranceS} s tolerance`);
  const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest();
  const ok = tags.some((tag) => {
    const given = Buffer.from(tag, "hex");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!ok) throw new SignatureError("the signature does not match");
}

/**
 * A node:http request listener: each request's signature is verified (401 otherwise),
 * its call fields (JSON body of a POST, query of a GET) go to `handler(path, fields)`,
 * whose document (a Document or an array of verbs, or a Promise of one) is the answer.
 */
export function webhookHandler(secret, handler, { toleranceS = 300 } = {}) {
  return (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url, `http://${req.headers.host}`);
      const signed = req.method === "GET" ? Buffer.from(url.href) : body;
      const reply = (status, value) => {
        const data = JSON.stringify(value);
        res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
        res.end(data);
      };
      try {
        verifySignature(secret, req.headers["switchboard-signature"] ?? "", signed, { toleranceS });
      } catch (e) {
        return reply(401, { error: e.message });
      }
      const fields = req.method === "GET" ? Object.fromEntries(url.searchParams) : JSON.parse(body.length ? body : "{}");
      try {
        reply(200, await handler(url.pathname, fields));
      } catch (e) {
        reply(500, { error: String(e?.message ?? e) });
      }
    });
  };
}
