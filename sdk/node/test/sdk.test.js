// The SDK against a real server: the REST client, documents the server accepts, and
// webhook verification with calls run by `switchboard simulate`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  ApiError, Client, Document, Gather, SignatureError, dialExtension, dialNumber, dialSip,
  verifySignature, webhookHandler,
} from "../src/index.js";
import { binary, startServer } from "../support/server.js";

let server;
let client;
before(async () => {
  server = await startServer();
  client = new Client(server.url, server.key);
});
after(() => server.stop());

test("resources are created, read, changed, listed page by page and deleted", async () => {
  for (const n of [201, 202, 203, 204, 205]) {
    await client.extensions.create({ number: String(n), name: `User ${n}`, password: `Secret-${n}-pw` });
  }
  assert.equal((await client.extensions.get("203")).name, "User 203");
  assert.equal((await client.extensions.update("203", { name: "Julien" })).name, "Julien");
  const numbers = [];
  for await (const e of client.extensions.list({ pageSize: 2 })) numbers.push(e.number);
  assert.deepEqual(numbers, ["201", "202", "203", "204", "205"]);
  await client.extensions.delete("205");
  await assert.rejects(client.extensions.get("205"), (e) => e instanceof ApiError && e.status === 404 && e.code === "not_found");
});

test("errors carry the server's code, message and field", async () => {
  await assert.rejects(
    client.extensions.create({ number: "299", name: "X", password: "short" }),
    (e) => e instanceof ApiError && e.status === 422 && e.code === "validation_failed" && e.field === "password",
  );
  const stranger = new Client(server.url, "sdk-admin:wrong-secret-0000");
  await assert.rejects(stranger.extensions.get("201"), (e) => e.status === 401);
});

test("every builder makes a document the server accepts; a bad one is refused naming the field", async () => {
  await client.extensions.create({ number: "101", name: "A", password: "Secret-101-pw" });
  const documents = [
    new Document().say("Hello").pause(1).play({ recording: "welcome" }).hangup(),
    new Document().gather(new Gather({ numDigits: 1, action: "/menu", timeout: 5 }).say("Press 1").play({ url: "http://x.example/a.wav" })),
    new Document().dial([dialExtension("101"), dialNumber("0032123456"), dialSip("sip:a@b.example")], { timeout: 20, action: "/after" }),
    new Document().record({ maxLength: 60, action: "/saved", finishOnKey: "#" }),
    new Document().redirect({ destination: "ivr:Main" }).redirect({ url: "/next" }),
    new Document().enqueue("support").reject("busy"),
  ];
  for (const doc of documents) {
    const call = await client.calls.create({ from: "5000", to: "101", verbs: doc.toJSON() });
    assert.match(call.sid, /^CA/);
  }
  const bad = new Document().say("ok").gather(new Gather({ numDigits: 0 }));
  await assert.rejects(
    client.calls.create({ from: "5000", to: "101", verbs: bad.toJSON() }),
    (e) => e.field === "verbs[1].num_digits",
  );
});

test("a known vector and the tolerance window", () => {
  const header = "t=1,v1=842b24d9575dee4b6ec460b7e3af7d683501d84fe6279102340787c79d2e2bab";
  verifySignature("secret", header, "body", { nowS: 1 });
  verifySignature("secret", header, Buffer.from("body"), { nowS: 301 });
  assert.throws(() => verifySignature("secret", header, "body", { nowS: 302 }), SignatureError);
  assert.throws(() => verifySignature("other", header, "body", { nowS: 1 }), SignatureError);
  assert.throws(() => verifySignature("secret", header, "bodx", { nowS: 1 }), SignatureError);
  for (const malformed of ["", "t=1", "v1=00", "t=x,v1=00"]) {
    assert.throws(() => verifySignature("secret", malformed, "body", { nowS: 1 }), SignatureError);
  }
});

test("a webhook handler answers a simulated call with verified requests", async () => {
  const seen = [];
  const app = createServer(
    webhookHandler("whsec_node-test", (path, call) => {
      seen.push([path, call.digits ?? null]);
      if (path === "/voice") return new Document().gather(new Gather({ numDigits: 1, action: "/menu" }).say("Press 1 for sales"));
      return new Document().say(`You pressed ${call.digits}`).hangup();
    }),
  );
  await new Promise((r) => app.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${app.address().port}/voice`;
  const run = promisify(execFile);
  const simulate = async (...args) => {
    try {
      const { stdout } = await run(binary(), ["simulate", url, "--json", ...args]);
      return { code: 0, steps: stdout.trim().split("\n").map((l) => JSON.parse(l)) };
    } catch (e) {
      return { code: e.code, steps: e.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)) };
    }
  };
  try {
    const ok = await simulate("--keys", "1", "--secret", "whsec_node-test");
    assert.equal(ok.code, 0);
    assert.deepEqual(ok.steps.filter((s) => s.step === "says").map((s) => s.text), ["Press 1 for sales", "You pressed 1"]);
    assert.deepEqual(seen, [["/voice", null], ["/menu", "1"]]);
    const refused = await simulate("--secret", "whsec_wrong");
    assert.equal(refused.code, 1);
    assert.equal(refused.steps.at(-1).status, "failed");
    assert.equal(seen.length, 2, "the handler never ran for a bad signature");
  } finally {
    app.close();
  }
});
