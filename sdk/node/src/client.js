// The REST API: `new Client(baseUrl, "key_id:secret")`, one Resource per collection
// (`client.extensions.create({...})`, `client.numbers.list()`), calls placed and steered
// with `client.calls`, audio uploaded (`client.recordings.upload`) and downloaded
// (`client.download`), a mailbox's messages with `client.voicemail(mailbox)`. Idempotent
// requests (GET, PUT, DELETE) are retried on 429 and 5xx with a short back-off; every
// error answer becomes an ApiError.

const IDEMPOTENT = new Set(["GET", "PUT", "DELETE", "HEAD"]);
const RESOURCES = [
  "extensions", "recordings", "applications", "numbers", "trunks", "outbound-routes",
  "api-keys", "ring-groups", "ivrs", "daynight", "time-conditions", "queues",
  "feature-codes", "registrations", "calls",
];

/** An error answer: its HTTP status and the body's code, message and field. */
export class ApiError extends Error {
  constructor(status, code, message, field = null) {
    super(`${status} ${code}: ${message}${field ? ` (${field})` : ""}`);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.detail = message;
  }
}

const enc = (key) => encodeURIComponent(String(key));

/**
 * A Switchboard server's REST API, with an API key (`key_id:secret`, HTTP Basic).
 * Collections: extensions, recordings, applications, numbers, trunks, outboundRoutes,
 * apiKeys, ringGroups, ivrs, daynight, timeConditions, queues, featureCodes,
 * registrations, calls. `featureCodes.update("daynight_toggle", { code: "*48" })`
 * changes a feature code; `registrations.list({ extension: "101" })` and
 * `registrations.delete(id)` the phones registered.
 */
export class Client {
  constructor(baseUrl, apiKey, { retries = 2, timeoutMs = 10000 } = {}) {
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.auth = "Basic " + Buffer.from(apiKey).toString("base64");
    const colon = apiKey.indexOf(":");
    this.keyId = colon < 0 ? apiKey : apiKey.slice(0, colon);
    this.#secret = colon < 0 ? "" : apiKey.slice(colon + 1);
    this.retries = retries;
    this.timeoutMs = timeoutMs;
    const special = {
      recordings: Recordings, extensions: Extensions, applications: Applications,
      daynight: DayNights, "time-conditions": TimeConditions, queues: Queues,
    };
    for (const name of RESOURCES) {
      const prop = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
      this[prop] = new (special[name] ?? Resource)(this, `/v1/${name}`);
    }
  }

  #secret;

  /** One request; the decoded JSON (null for 204). Throws ApiError on an error answer. */
  async request(method, path, body, query) {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const raw = await this.send(method, path, { body: data, contentType: "application/json", query });
    return raw.length ? JSON.parse(raw.toString("utf8")) : null;
  }

  /**
   * The bytes at `path` (GET with the API key, retried like every GET): a recording's or
   * a voicemail message's WAV. `path` is relative to the base URL, as the server gives it
   * (`audio_url`, also in a voicemail event: `/v1/voicemail/58102/messages/VM…/audio`),
   * or a full URL under the base URL. Throws ApiError on an error answer.
   */
  async download(path) {
    if (/^https?:\/\//.test(path)) {
      if (!path.startsWith(this.baseUrl + "/")) {
        throw new Error(`${path} is not on ${this.baseUrl}: the API key is not sent elsewhere`);
      }
      path = path.slice(this.baseUrl.length);
    }
    return this.send("GET", path, { accept: "*/*" });
  }

  /**
   * The messages of `mailbox` (an extension with voicemail): `list({ folder: "new" })`,
   * `get(id)`, `update(id, { folder: "saved" })`, `delete(id)`, and `audio(id)`, the
   * message's WAV.
   */
  voicemail(mailbox) {
    return new Voicemail(this, `/v1/voicemail/${enc(mailbox)}/messages`);
  }

  /**
   * `GET /v1/apps`: the built-in apps' `base_url`, their `signing_secret`, the
   * `url_destinations_signing_secret` and each app's `kind`, `url`, `description`.
   */
  apps() {
    return this.request("GET", "/v1/apps");
  }

  /**
   * `POST /v1/auth/token`: a short-lived bearer token (`access_token`, `token_type`,
   * `expires_in`, `expires_at`) for an API key, by default this client's own.
   */
  createToken({ keyId = this.keyId, secret = this.#secret } = {}) {
    return this.request("POST", "/v1/auth/token", { key_id: keyId, secret });
  }

  /**
   * One request, retried on 429 and 5xx when idempotent; the answer's body as a Buffer.
   * `body` is a string or bytes sent with `contentType`.
   */
  async send(method, path, { body, contentType, accept = "application/json", query } = {}) {
    let url = this.baseUrl + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) params.set(k, String(v));
      const text = params.toString();
      if (text) url += "?" + text;
    }
    const attempts = 1 + (IDEMPOTENT.has(method) ? this.retries : 0);
    for (let attempt = 0; attempt < attempts; attempt++) {
      const res = await fetch(url, {
        method,
        headers: {
          authorization: this.auth,
          accept,
          ...(body === undefined || !contentType ? {} : { "content-type": contentType }),
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const raw = Buffer.from(await res.arrayBuffer());
      if (res.ok) return raw;
      const retry = res.status === 429 || res.status >= 500;
      if (retry && attempt + 1 < attempts) {
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
        continue;
      }
      throw toError(res.status, raw.toString("utf8"));
    }
    throw new Error("unreachable");
  }
}

function toError(status, text) {
  try {
    const e = JSON.parse(text).error;
    return new ApiError(status, e.code ?? "error", e.message ?? "", e.field ?? null);
  } catch {
    return new ApiError(status, "error", text);
  }
}

/** One REST collection: create, get, update (PATCH), replace (PUT), delete, list. */
export class Resource {
  constructor(client, path) {
    this.client = client;
    this.path = path;
  }
  item(key) {
    return `${this.path}/${enc(key)}`;
  }
  create(body) {
    return this.client.request("POST", this.path, body);
  }
  get(key) {
    return this.client.request("GET", this.item(key));
  }
  update(key, body) {
    return this.client.request("PATCH", this.item(key), body);
  }
  replace(key, body) {
    return this.client.request("PUT", this.item(key), body);
  }
  delete(key) {
    return this.client.request("DELETE", this.item(key));
  }
  /** POST to an item (`calls.post(sid, { status: "completed" })`). */
  post(key, body) {
    return this.client.request("POST", this.item(key), body);
  }
  /** Every item, page after page. */
  async *list({ pageSize = 100, ...filters } = {}) {
    let cursor;
    for (;;) {
      const page = await this.client.request("GET", this.path, undefined, { limit: pageSize, cursor, ...filters });
      yield* page.data;
      cursor = page.next_cursor;
      if (!cursor) return;
    }
  }
}

/** A single resource under an item (an extension's follow-me): get, replace (PUT), update (PATCH), delete. */
export class Item {
  constructor(client, path) {
    this.client = client;
    this.path = path;
  }
  get() {
    return this.client.request("GET", this.path);
  }
  replace(body) {
    return this.client.request("PUT", this.path, body);
  }
  update(body) {
    return this.client.request("PATCH", this.path, body);
  }
  delete() {
    return this.client.request("DELETE", this.path);
  }
}

/** `/v1/recordings`, with uploads and downloads. */
export class Recordings extends Resource {
  /**
   * Stores a WAV file (a Buffer or Uint8Array; PCM 8/16/24/32-bit or float, any rate,
   * mono or stereo) as recording `name`, converted to 8 kHz mono 16-bit; resolves to the
   * recording. Sent as a raw `audio/wav` body with `?name=`.
   */
  async upload(name, wav) {
    const raw = await this.client.send("POST", this.path, { body: wav, contentType: "audio/wav", query: { name } });
    return JSON.parse(raw.toString("utf8"));
  }
  /** The recording's WAV (8 kHz mono 16-bit), by id. */
  audio(key) {
    return this.client.download(`${this.item(key)}/audio`);
  }
}

/** A mailbox's messages (`client.voicemail("58102")`): list, get, update, delete, audio. */
export class Voicemail extends Resource {
  /** The message's WAV. */
  audio(key) {
    return this.client.download(`${this.item(key)}/audio`);
  }
}

/** `/v1/extensions`, with each extension's follow-me. */
export class Extensions extends Resource {
  /** The extension's follow-me: get(), replace({...}) (PUT: creates or replaces), update({...}) (PATCH), delete(). */
  followMe(number) {
    return new Item(this.client, `${this.item(number)}/follow-me`);
  }
}

/** `/v1/applications`, with signing-secret rotation. */
export class Applications extends Resource {
  /** A new signing secret (the old one stops working at once): the application with its `signing_secret`. */
  rotateSecret(key) {
    return this.client.request("POST", `${this.item(key)}/signing-secret`);
  }
}

/** `/v1/daynight`, with the toggle. */
export class DayNights extends Resource {
  /** Switches day/night `index` to the other mode at once; resolves to the switch. */
  toggle(index) {
    return this.client.request("POST", `${this.item(index)}/toggle`);
  }
}

/** `/v1/time-conditions`, with overrides. */
export class TimeConditions extends Resource {
  /**
   * Forces `state` ("match" or "no_match") until the schedule next changes (or for good
   * with `permanent: true`); `null` removes the override. Resolves to the time condition.
   */
  override(key, state, { permanent = false } = {}) {
    // A forgotten state would read as "remove the override": only an explicit null does.
    if (state === undefined) throw new TypeError("override(key, state): state is match, no_match or null");
    return this.client.request("POST", `${this.item(key)}/override`, { state, permanent });
  }
}

/** `/v1/queues`, with agents, callers and statistics. */
export class Queues extends Resource {
  /** The queue's members and what each is doing (`state`, `logged_in`, `paused`). */
  async agents(name) {
    return (await this.client.request("GET", `${this.item(name)}/agents`)).data;
  }
  /** Logs a dynamic member in or out, pauses or unpauses a member (`{ paused: true, pause_reason: "lunch" }`). */
  updateAgent(name, member, body) {
    return this.client.request("PATCH", `${this.item(name)}/agents/${enc(member)}`, body);
  }
  /** The callers waiting in the queue now, first in line first. */
  async callers(name) {
    return (await this.client.request("GET", `${this.item(name)}/callers`)).data;
  }
  /** What happened to the callers who joined since `since` (RFC 3339; default the last 24 hours). */
  stats(name, { since } = {}) {
    return this.client.request("GET", `${this.item(name)}/stats`, undefined, { since });
  }
}
