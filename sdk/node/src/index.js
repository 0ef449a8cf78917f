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

function verb(name, fields = {}) {
  const v = { verb: name };
  for (const [k, value] of Object.entries(fields)) if (value !== undefined && value !== null) v[k] = value;
  return v;
}

export const dialExtension = (number, fields = {}) => ({ type: "extension", number, ...fields });
export const dialNumber = (number, fields = {}) => ({ type: "number", number, ...fields });
export const dialSip = (uri, fields = {}) => ({ type: "sip", uri, ...fields });

/** A gather: its settings and its prompts (say, play). */
export class Gather {
  constructor({ numDigits, action, timeout, finishOnKey, ...rest } = {}) {
    this.fields = { num_digits: numDigits, action, timeout, finish_on_key: finishOnKey, ...rest };
    this.prompts = [];
  }
  say(text, { language } = {}) {
    this.prompts.push(verb("say", { text, language }));
    return this;
  }
  play({ recording, url } = {}) {
    this.prompts.push(verb("play", { recording, url }));
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
  say(text, { language, loop } = {}) {
    return this.add(verb("say", { text, language, loop }));
  }
  play({ recording, url, loop } = {}) {
    return this.add(verb("play", { recording, url, loop }));
  }
  pause(length) {
    return this.add(verb("pause", { length }));
  }
  gather(gather) {
    return this.add(gather.toJSON());
  }
  dial(targets, { timeout, action, ...rest } = {}) {
    return this.add(verb("dial", { targets, timeout, action, ...rest }));
  }
  record({ maxLength, action, finishOnKey, ...rest } = {}) {
    return this.add(verb("record", { max_length: maxLength, action, finish_on_key: finishOnKey, ...rest }));
  }
  redirect({ url, destination } = {}) {
    return this.add(verb("redirect", { url, destination }));
  }
  enqueue(queue, { waitUrl, action } = {}) {
    return this.add(verb("enqueue", { queue, wait_url: waitUrl, action }));
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
