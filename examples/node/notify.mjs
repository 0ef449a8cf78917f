#!/usr/bin/env node
// An outbound notification with Switchboard's Node SDK (sdk/node): call a number, say a
// message, ask for a confirmation key, and report what the person pressed. The same
// script as examples/python/notify.py.
//
//     SWITCHBOARD_URL=http://127.0.0.1:8080 SWITCHBOARD_KEY=key_id:secret \
//     node examples/node/notify.mjs 58101 "Your order has shipped."
//
// Options: --from 5000 (the caller ID shown), --listen 127.0.0.1:0 (where this script
// takes the call's webhooks; port 0 picks a free one), --callback-url (how Switchboard
// reaches that address, when it differs).
//
// The call is placed with inline verbs (POST /v1/calls), so no application is needed:
// its webhooks are signed with the secret of URL destinations, read from GET /v1/apps.
// Prints one JSON line {"call_sid", "status", "key"}; exits 0 when a key was pressed, 1
// when the call ended without one, 2 on an error ({"error", "message", "field"}: the
// API's refusal, or why the API could not be asked). The key must be an admin key
// (GET /v1/apps is admin-only).
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { ApiError, Client, Document, Gather, webhookHandler } from "../../sdk/node/src/index.js";

// Call statuses after which nothing more happens.
const FINAL = new Set(["completed", "busy", "no-answer", "failed", "canceled"]);
// The longest the script waits for the call to end.
const GIVE_UP_AFTER_MS = 180_000;

// Any failure before an outcome: one JSON line and exit 2, never taken for "no key".
function fail(e) {
  const api = e instanceof ApiError;
  console.log(JSON.stringify({
    error: api ? e.code : e?.cause?.code ?? e?.name ?? "Error",
    message: api ? e.detail ?? e.message : [e?.message ?? e, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(": "),
    field: api ? e.field ?? null : null,
  }));
  process.exit(2);
}
process.on("uncaughtException", fail);
process.on("unhandledRejection", fail);

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    from: { type: "string", default: "5000" },
    listen: { type: "string", default: "127.0.0.1:0" },
    "callback-url": { type: "string" },
  },
});
const [to, message] = positionals;
if (!to || !message) {
  console.error("usage: notify.mjs <to> <message> [--from N] [--listen HOST:PORT] [--callback-url URL]");
  process.exit(2);
}
if (!process.env.SWITCHBOARD_KEY) fail(new Error("SWITCHBOARD_KEY is not set (key_id:secret of an admin key)"));
const client = new Client(process.env.SWITCHBOARD_URL ?? "http://127.0.0.1:8080", process.env.SWITCHBOARD_KEY);

const outcome = { key: null, status: null };
let ended;
const end = new Promise((resolve) => (ended = resolve));

function answer(path, call) {
  if (path === "/key") {
    // the gather's result
    outcome.key = call.digits || null;
    return new Document().say("Thank you. Goodbye.").hangup();
  }
  if (path === "/status" && (call.event === "completed" || FINAL.has(call.call_status))) {
    outcome.status = call.call_status;
    ended();
  }
  return []; // status callbacks need no document
}

const { url_destinations_signing_secret: secret } = await client.request("GET", "/v1/apps");
const lastColon = opts.listen.lastIndexOf(":");
const host = opts.listen.slice(0, lastColon);
const server = createServer(webhookHandler(secret, answer));
await new Promise((resolve) => server.listen(Number(opts.listen.slice(lastColon + 1)), host, resolve));
const base = (opts["callback-url"] ?? `http://${host}:${server.address().port}`).replace(/\/+$/, "");

const confirm = new Gather({ numDigits: 1, timeout: 10, action: `${base}/key` }).say(
  "Press 1 to confirm, or 2 to be called back.",
);
const document = new Document()
  .say(message)
  .gather(confirm)
  .say("We did not get your answer. Goodbye.")
  .hangup();
const call = await client.calls.create({ from: opts.from, to, verbs: document.toJSON(), status_callback: `${base}/status` });
const timer = setTimeout(ended, GIVE_UP_AFTER_MS);
await end;
clearTimeout(timer);
if (!outcome.status) {
  // Gave up: no call left behind.
  outcome.status = await client.calls
    .post(call.sid, { status: "completed" })
    .catch(() => client.calls.get(call.sid))
    .then((c) => c.status);
}
console.log(JSON.stringify({ call_sid: call.sid, status: outcome.status, key: outcome.key }));
server.close();
process.exit(outcome.key ? 0 : 1);
