#!/usr/bin/env node
// The seed's day/night switch and IVR as a webhook app, with Switchboard's Node SDK
// (sdk/node): the same menu and result as examples/python/ivr_daynight.py.
//
//     node examples/node/ivr_daynight.mjs <port> <signing secret> [<host>]
//
// By day a call hears the menu (recording VoicemailCenter): 1 rings 58102, 3 repeats,
// other keys are invalid (the third reaches 58106), silence repeats (the third hangs
// up). By night the caller leaves a message. POST /toggle switches day and night; every
// other request must carry a valid Switchboard-Signature (401 otherwise).
import { createServer } from "node:http";
import { Document, Gather, dialExtension, webhookHandler } from "../../sdk/node/src/index.js";

const [port, secret, host = "127.0.0.1"] = process.argv.slice(2);
const mode = { now: "day" };
const MEMBERS = ["58102"]; // ring group 301
const INVALID_DESTINATION = "58106";

// The menu's counts travel in its URLs: the app keeps no state per call.
function menu(timeouts, invalid, before) {
  const state = `${timeouts}/${invalid}`;
  const gather = new Gather({ numDigits: 1, timeout: 4, action: `/choice/${state}` });
  if (before) gather.say(before);
  gather.play({ recording: "VoicemailCenter" });
  return new Document().gather(gather).redirect({ url: `/silence/${state}` });
}

const ring = (numbers) => new Document().dial(numbers.map((n) => dialExtension(n)), { timeout: 15 });

function answer(fullPath, call) {
  const [path, t = "0", i = "0"] = fullPath.replace(/^\//, "").split("/");
  const [timeouts, invalid] = [Number(t), Number(i)];
  if (path === "voice" && mode.now === "night") {
    return new Document()
      .say("Pierre is not available. Leave a message after the tone.")
      .record({ maxLength: 120, finishOnKey: "#", action: "/saved" })
      .hangup();
  }
  if (path === "voice") return menu(0, 0);
  if (path === "choice") {
    if (call.digits === "1") return ring(MEMBERS);
    if (call.digits === "3") return menu(0, 0);
    if (invalid + 1 >= 3) return ring([INVALID_DESTINATION]);
    return menu(timeouts, invalid + 1, "That is not a valid choice.");
  }
  if (path === "silence") return timeouts + 1 >= 3 ? new Document().hangup() : menu(timeouts + 1, invalid);
  return new Document().say("Thank you. Goodbye.").hangup();
}

const signed = webhookHandler(secret, answer);
createServer((req, res) => {
  if (req.url === "/toggle") {
    mode.now = mode.now === "day" ? "night" : "day";
    res.writeHead(200, { "content-type": "application/json" });
    return res.end(JSON.stringify({ mode: mode.now }));
  }
  signed(req, res);
}).listen(Number(port), host);
