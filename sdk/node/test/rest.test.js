// The rest of the REST surface against a real server: audio up and down, mailboxes,
// follow-me, day/night, time-condition overrides, queue agents, applications' secrets
// (with a voicemail event verified by webhookHandler), the built-in apps, feature codes,
// registrations (a real SIP REGISTER) and tokens.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { createSocket } from "node:dgram";
import { createHash, randomBytes } from "node:crypto";
import { ApiError, Client, webhookHandler } from "../src/index.js";
import { startServer } from "../support/server.js";

let server;
let client;
before(async () => {
  server = await startServer();
  client = new Client(server.url, server.key);
});
after(() => server.stop());

/** A sine tone as a 16-bit PCM WAV file, built by hand. */
function toneWav({ seconds = 0.5, rate = 16000, channels = 2, hz = 440 } = {}) {
  const frames = Math.round(seconds * rate);
  const data = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames; i++) {
    const sample = Math.round(12000 * Math.sin((2 * Math.PI * hz * i) / rate));
    for (let c = 0; c < channels; c++) data.writeInt16LE(sample, (i * channels + c) * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** The format of a WAV file: its fmt chunk and the length of its data chunk. */
function wavFormat(wav) {
  assert.equal(wav.toString("ascii", 0, 4), "RIFF");
  assert.equal(wav.toString("ascii", 8, 12), "WAVE");
  const found = {};
  for (let at = 12; at + 8 <= wav.length; ) {
    const id = wav.toString("ascii", at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === "fmt ") {
      found.format = wav.readUInt16LE(at + 8);
      found.channels = wav.readUInt16LE(at + 10);
      found.rate = wav.readUInt32LE(at + 12);
      found.bits = wav.readUInt16LE(at + 22);
    } else if (id === "data") {
      found.dataBytes = size;
    }
    at += 8 + size + (size % 2);
  }
  return found;
}

const apiError = (status, code, field) => (e) => {
  assert.ok(e instanceof ApiError, String(e));
  assert.equal(e.status, status);
  assert.equal(e.code, code);
  if (field !== undefined) assert.equal(e.field, field);
  return true;
};

async function all(iterator) {
  const items = [];
  for await (const item of iterator) items.push(item);
  return items;
}

/** What the built-in voicemail app does when a caller's message is recorded, asked with the admin key. */
function leaveMessage(mailbox, recordingId, caller) {
  return client.request("POST", `/apps/voicemail/${mailbox}/saved`, {
    call_sid: "CA" + randomBytes(16).toString("hex"),
    from: caller,
    recording_sid: recordingId,
    recording_duration: 1,
  });
}

test("a recording is uploaded, converted and downloaded", async () => {
  const recording = await client.recordings.upload("Welcome", toneWav());
  assert.equal(recording.name, "Welcome");
  assert.deepEqual([recording.sample_rate, recording.channels, recording.bits_per_sample], [8000, 1, 16]);
  assert.equal(recording.duration_ms, 500);
  const audio = await client.recordings.audio(recording.id);
  assert.ok(Buffer.isBuffer(audio));
  assert.equal(audio.length, recording.size_bytes);
  assert.deepEqual(await client.download(recording.audio_url), audio);
  assert.deepEqual(await client.download(client.baseUrl + recording.audio_url), audio);
  const format = wavFormat(audio);
  assert.deepEqual([format.format, format.rate, format.channels, format.bits], [1, 8000, 1, 16]);
  assert.ok(Math.abs(format.dataBytes / 2 - 4000) <= 2, `${format.dataBytes} bytes of samples`);
  assert.equal((await client.recordings.upload("Other", new Uint8Array(toneWav({ seconds: 0.25 })))).duration_ms, 250);
  await assert.rejects(client.recordings.upload("Welcome", toneWav()), apiError(409, "conflict", "name"));
  await assert.rejects(client.recordings.upload("Noise", Buffer.from("not a wav file at all")), apiError(415, "unsupported_media_type", "file"));
  await assert.rejects(client.download("/v1/recordings/RE00000000000000000000000000000000/audio"), apiError(404, "not_found"));
  await assert.rejects(client.download("http://elsewhere.example/v1/recordings"), /not sent elsewhere/);
});

test("voicemail messages are listed, read, moved, downloaded and deleted", async () => {
  await client.extensions.create({ number: "101", name: "Pierre", password: "Secret-101-pw", voicemail: { enabled: true } });
  const recording = await client.recordings.upload("Message", toneWav({ seconds: 1, rate: 8000, channels: 1 }));
  await leaveMessage("101", recording.id, "5001");
  await leaveMessage("101", recording.id, "5002");
  const mailbox = client.voicemail("101");
  const messages = await all(mailbox.list({ pageSize: 1 }));
  assert.deepEqual(messages.map((m) => m.caller_number), ["5001", "5002"]);
  const [first] = messages;
  assert.deepEqual([first.mailbox, first.folder, first.duration_ms], ["101", "new", 1000]);
  assert.equal((await mailbox.get(first.id)).id, first.id);
  const audio = await mailbox.audio(first.id);
  assert.deepEqual(await client.download(first.audio_url), audio);
  assert.equal(audio.length, recording.size_bytes);
  assert.equal(wavFormat(audio).rate, 8000);
  assert.equal((await mailbox.update(first.id, { folder: "saved" })).folder, "saved");
  assert.deepEqual((await all(mailbox.list({ folder: "new" }))).map((m) => m.caller_number), ["5002"]);
  await mailbox.delete(first.id);
  await assert.rejects(mailbox.audio(first.id), apiError(404, "not_found"));
  await assert.rejects(all(client.voicemail("999").list()), apiError(404, "not_found"));
});

test("follow-me is set, changed, read and removed", async () => {
  await client.extensions.create({ number: "301", name: "Anna", password: "Secret-301-pw", voicemail: { enabled: true } });
  await client.extensions.create({ number: "302", name: "Bert", password: "Secret-302-pw" });
  const followMe = client.extensions.followMe("301");
  await assert.rejects(followMe.get(), apiError(404, "not_found"));
  const put = await followMe.replace({ enabled: true, numbers: ["301", "302"], initial_ring_time: 5, no_answer_destination: "voicemail:301" });
  assert.deepEqual([put.numbers, put.initial_ring_time], [["301", "302"], 5]);
  const changed = await followMe.update({ strategy: "hunt", enabled: false });
  assert.deepEqual([changed.strategy, changed.enabled, changed.numbers], ["hunt", false, ["301", "302"]]);
  assert.deepEqual(await followMe.get(), changed);
  await assert.rejects(followMe.update({ no_answer_destination: "extension:301" }), apiError(422, "validation_failed", "no_answer_destination"));
  assert.equal(await followMe.delete(), null);
  await assert.rejects(followMe.get(), apiError(404, "not_found"));
});

test("a day/night switch is toggled and a time condition overridden", async () => {
  await client.daynight.create({ index: 3, name: "Office", day_destination: "hangup", night_destination: "hangup" });
  assert.equal((await client.daynight.get(3)).mode, "day");
  assert.equal((await client.daynight.toggle(3)).mode, "night");
  assert.equal((await client.daynight.get("3")).mode, "night");
  assert.equal((await client.daynight.toggle("3")).mode, "day");
  await assert.rejects(client.daynight.toggle(7), apiError(404, "not_found"));

  const days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  await client.timeConditions.create({
    id: "2", name: "Mornings", time_zone: "UTC", ranges: [{ days, start: "00:00", end: "12:00" }],
    match_destination: "hangup", no_match_destination: "daynight:3",
  });
  const forced = await client.timeConditions.override("2", "no_match", { permanent: true });
  assert.deepEqual(forced.override, { state: "no_match", until: null });
  assert.equal(forced.state, "no_match");
  const untilNext = await client.timeConditions.override("2", "match");
  assert.equal(untilNext.override.state, "match");
  assert.ok(untilNext.override.until);
  assert.equal((await client.timeConditions.override("2", null)).override, null);
  await assert.rejects(client.timeConditions.override("2", "sometimes"), (e) => e instanceof ApiError && [400, 422].includes(e.status));
});

test("queue agents are logged in and paused; callers and stats are read", async () => {
  await client.extensions.create({ number: "201", name: "Agent", password: "Secret-201-pw" });
  await client.queues.create({ name: "support", members: [{ member: "201", dynamic: true }] });
  const [agent] = await client.queues.agents("support");
  assert.deepEqual([agent.member, agent.dynamic, agent.logged_in], ["201", true, false]);
  assert.equal((await client.queues.updateAgent("support", "201", { logged_in: true })).logged_in, true);
  const paused = await client.queues.updateAgent("support", "201", { paused: true, pause_reason: "lunch" });
  assert.deepEqual([paused.paused, paused.pause_reason, paused.state], [true, "lunch", "paused"]);
  await assert.rejects(client.queues.updateAgent("support", "999", { paused: true }), apiError(404, "not_found"));
  assert.deepEqual(await client.queues.callers("support"), []);
  const stats = await client.queues.stats("support");
  assert.deepEqual([stats.offered, stats.waiting], [0, 0]);
  assert.match((await client.queues.stats("support", { since: "2020-01-01T00:00:00Z" })).since, /^2020-01-01/);
  await assert.rejects(client.queues.stats("support", { since: "yesterday" }), apiError(400, "bad_request"));
});

test("a rotated secret signs the voicemail event whose audio_url is downloaded; the built-in apps are listed", async () => {
  const app = await client.applications.create({ name: "Voicemail", voice_url: "http://127.0.0.1:9/voice", status_callback: "http://127.0.0.1:9/status" });
  const rotated = await client.applications.rotateSecret(app.id);
  assert.equal(rotated.id, app.id);
  assert.match(rotated.signing_secret, /^whsec_/);
  assert.notEqual(rotated.signing_secret, app.signing_secret);
  await assert.rejects(client.applications.rotateSecret("AP00000000000000000000000000000000"), apiError(404, "not_found"));

  const events = [];
  let received;
  const arrived = new Promise((resolve) => (received = resolve));
  const callback = createServer(webhookHandler(rotated.signing_secret, (path, event) => {
    events.push([path, event]);
    received();
    return [];
  }));
  await new Promise((r) => callback.listen(0, "127.0.0.1", r));
  try {
    await client.applications.update(app.id, { status_callback: `http://127.0.0.1:${callback.address().port}/status` });
    await client.extensions.create({ number: "58102", name: "Pierre", password: "Secret-58102-pw", voicemail: { enabled: true, application_id: app.id } });
    const recording = await client.recordings.upload("Left", toneWav({ seconds: 0.75, rate: 8000, channels: 1 }));
    await leaveMessage("58102", recording.id, "58101");
    let timer;
    try {
      await Promise.race([
        arrived,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no voicemail event arrived")), 20000))),
      ]);
    } finally {
      clearTimeout(timer);
    }
    const [[path, event]] = events;
    assert.equal(path, "/status");
    assert.deepEqual([event.event, event.mailbox, event.caller_number], ["voicemail", "58102", "58101"]);
    assert.equal(event.audio_url, `/v1/voicemail/58102/messages/${event.message_id}/audio`);
    const audio = await client.download(event.audio_url);
    assert.deepEqual(audio, await client.voicemail("58102").audio(event.message_id));
    assert.deepEqual(audio, await client.recordings.audio(recording.id));
  } finally {
    callback.close();
  }

  const apps = await client.apps();
  assert.match(apps.base_url, /\/apps\/$/);
  assert.notEqual(apps.signing_secret, apps.url_destinations_signing_secret);
  assert.ok(apps.apps.some((a) => a.url === "/apps/ivr/{name}"));
});

test("feature codes are changed; a clash names the field", async () => {
  const codes = Object.fromEntries((await all(client.featureCodes.list())).map((c) => [c.feature, c]));
  assert.equal(codes.daynight_toggle.code, "*28");
  assert.equal((await client.featureCodes.update("daynight_toggle", { code: "*48" })).code, "*48");
  assert.equal((await client.featureCodes.update("followme_toggle", { enabled: false })).enabled, false);
  const after = Object.fromEntries((await all(client.featureCodes.list())).map((c) => [c.feature, c]));
  assert.deepEqual([after.daynight_toggle.code, after.followme_toggle.enabled], ["*48", false]);
  await assert.rejects(client.featureCodes.update("voicemail_listen", { code: "*4" }), apiError(409, "conflict", "code"));
});

/** A SIP REGISTER over UDP with digest authentication, as a phone sends it. */
async function register(sip, user, password) {
  const [host, port] = [sip.slice(0, sip.lastIndexOf(":")), Number(sip.slice(sip.lastIndexOf(":") + 1))];
  const socket = createSocket("udp4");
  await new Promise((r) => socket.bind(0, "127.0.0.1", r));
  const local = `127.0.0.1:${socket.address().port}`;
  const [callId, tag] = [randomBytes(8).toString("hex"), randomBytes(4).toString("hex")];
  const send = (cseq, authorization = "") =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no SIP answer")), 5000);
      socket.once("message", (msg) => (clearTimeout(timer), resolve(msg.toString())));
      socket.send(
        `REGISTER sip:${sip} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP ${local};branch=z9hG4bK${randomBytes(8).toString("hex")};rport\r\n` +
          `From: <sip:${user}@${host}>;tag=${tag}\r\nTo: <sip:${user}@${host}>\r\n` +
          `Call-ID: ${callId}\r\nCSeq: ${cseq} REGISTER\r\nContact: <sip:${user}@${local}>\r\n` +
          `${authorization}Max-Forwards: 70\r\nExpires: 300\r\nUser-Agent: sdk-test\r\nContent-Length: 0\r\n\r\n`,
        port,
        host,
      );
    });
  try {
    const challenge = await send(1);
    assert.match(challenge, /^SIP\/2.0 401/);
    const realm = /realm="([^"]*)"/.exec(challenge)[1];
    const nonce = /nonce="([^"]*)"/.exec(challenge)[1];
    const md5 = (s) => createHash("md5").update(s).digest("hex");
    const uri = `sip:${sip}`;
    const response = md5(`${md5(`${user}:${realm}:${password}`)}:${nonce}:${md5(`REGISTER:${uri}`)}`);
    const auth = `Authorization: Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5\r\n`;
    assert.match(await send(2, auth), /^SIP\/2.0 200/);
  } finally {
    socket.close();
  }
}

test("registrations are listed and removed", async () => {
  await client.extensions.create({ number: "401", name: "Desk", password: "Secret-401-pw" });
  await client.extensions.create({ number: "402", name: "Soft", password: "Secret-402-pw" });
  assert.deepEqual(await all(client.registrations.list()), []);
  await register(server.sip, "401", "Secret-401-pw");
  await register(server.sip, "402", "Secret-402-pw");
  assert.deepEqual((await all(client.registrations.list({ pageSize: 1 }))).map((r) => r.extension).sort(), ["401", "402"]);
  const [phone] = await all(client.registrations.list({ extension: "401" }));
  assert.deepEqual([phone.transport, phone.user_agent], ["udp", "sdk-test"]);
  await client.registrations.delete(phone.id);
  assert.deepEqual((await all(client.registrations.list())).map((r) => r.extension), ["402"]);
  await assert.rejects(client.registrations.delete(phone.id), apiError(404, "not_found"));
});

test("a token is issued for the key, works as a bearer token, and a wrong secret is refused", async () => {
  const token = await client.createToken();
  assert.equal(token.token_type, "Bearer");
  assert.ok(token.expires_in > 0);
  const res = await fetch(`${server.url}/v1/api-keys`, { headers: { authorization: `Bearer ${token.access_token}` } });
  assert.equal(res.status, 200);
  await assert.rejects(client.createToken({ keyId: client.keyId, secret: "wrong-secret-000000000000" }), apiError(401, "unauthorized"));
});
