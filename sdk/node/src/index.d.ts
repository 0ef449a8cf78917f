// Types of @switchboard-voice/sdk (src/index.js, the REST client in src/client.js).
import type { IncomingMessage, ServerResponse } from "node:http";

export type Json = Record<string, unknown>;
export type Verb = Json & { verb: string };
export type DialTarget = Json & { type: "extension" | "number" | "sip" | "trunk" | "queue" };

export class ApiError extends Error {
  status: number;
  code: string;
  field: string | null;
  detail: string;
}

/** One REST collection: create, get, update (PATCH), replace (PUT), delete, list (every page). */
export class Resource {
  path: string;
  create(body: Json): Promise<Json>;
  get(key: string | number): Promise<Json>;
  update(key: string | number, body: Json): Promise<Json>;
  replace(key: string | number, body: Json): Promise<Json>;
  delete(key: string | number): Promise<null>;
  post(key: string | number, body: Json): Promise<Json>;
  list(options?: { pageSize?: number } & Json): AsyncGenerator<Json>;
}

/** A single resource under an item (an extension's follow-me). */
export class Item {
  path: string;
  get(): Promise<Json>;
  /** PUT: creates or replaces. */
  replace(body: Json): Promise<Json>;
  /** PATCH: the fields given change. */
  update(body: Json): Promise<Json>;
  delete(): Promise<null>;
}

/** `/v1/recordings`, with uploads and downloads. */
export class Recordings extends Resource {
  /**
   * Stores a WAV file (PCM 8/16/24/32-bit or float, any rate, mono or stereo) as
   * recording `name`, converted to 8 kHz mono 16-bit (a raw `audio/wav` body, `?name=`).
   */
  upload(name: string, wav: Buffer | Uint8Array): Promise<Json>;
  /** The recording's WAV (8 kHz mono 16-bit), by id. */
  audio(id: string): Promise<Buffer>;
}

/** A mailbox's messages (`client.voicemail("58102")`): list (`{ folder: "new" }`), get, update (`{ folder: "saved" }`), delete, audio. */
export class Voicemail extends Resource {
  /** The message's WAV. */
  audio(id: string): Promise<Buffer>;
}

/** `/v1/extensions`, with each extension's follow-me. */
export class Extensions extends Resource {
  followMe(number: string): Item;
}

/** `/v1/applications`, with signing-secret rotation. */
export class Applications extends Resource {
  /** A new signing secret (the old one stops working at once): the application with `signing_secret`. */
  rotateSecret(id: string): Promise<Json & { signing_secret: string }>;
}

/** `/v1/daynight`, with the toggle. */
export class DayNights extends Resource {
  /** Switches day/night `index` to the other mode at once; resolves to the switch. */
  toggle(index: number | string): Promise<Json & { mode: "day" | "night" }>;
}

/** `/v1/time-conditions`, with overrides. */
export class TimeConditions extends Resource {
  /** Forces `state` until the schedule next changes (or for good: `permanent`); `null` removes the override. */
  override(id: string, state: "match" | "no_match" | null, options?: { permanent?: boolean }): Promise<Json>;
}

/** `/v1/queues`, with agents, callers and statistics. */
export class Queues extends Resource {
  /** The queue's members and what each is doing. */
  agents(name: string): Promise<Json[]>;
  /** Logs a dynamic member in or out, pauses or unpauses a member. */
  updateAgent(name: string, member: string, body: { logged_in?: boolean; paused?: boolean; pause_reason?: string }): Promise<Json>;
  /** The callers waiting now, first in line first. */
  callers(name: string): Promise<Json[]>;
  /** What happened to the callers who joined since `since` (RFC 3339; default the last 24 hours). */
  stats(name: string, options?: { since?: string }): Promise<Json>;
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  expires_at: string;
}

export class Client {
  constructor(baseUrl: string, apiKey: string, options?: { retries?: number; timeoutMs?: number });
  baseUrl: string;
  keyId: string;
  request(method: string, path: string, body?: unknown, query?: Json): Promise<any>;
  /** One request, retried when idempotent; the answer's body. Throws ApiError. */
  send(
    method: string,
    path: string,
    options?: { body?: string | Buffer | Uint8Array; contentType?: string; accept?: string; query?: Json },
  ): Promise<Buffer>;
  /**
   * The bytes at `path` (GET with the API key): a recording's or a voicemail message's
   * WAV; `path` relative to the base URL (an `audio_url`) or a full URL under it.
   */
  download(path: string): Promise<Buffer>;
  /** A mailbox's messages. */
  voicemail(mailbox: string): Voicemail;
  /** `GET /v1/apps`: the built-in apps, their base URL and signing secrets. */
  apps(): Promise<Json & { base_url: string; signing_secret: string; url_destinations_signing_secret: string; apps: Json[] }>;
  /** `POST /v1/auth/token`: a bearer token for an API key, by default this client's own. */
  createToken(key?: { keyId?: string; secret?: string }): Promise<TokenResponse>;
  extensions: Extensions;
  recordings: Recordings;
  applications: Applications;
  numbers: Resource;
  trunks: Resource;
  outboundRoutes: Resource;
  apiKeys: Resource;
  ringGroups: Resource;
  ivrs: Resource;
  daynight: DayNights;
  timeConditions: TimeConditions;
  queues: Queues;
  /** `update(feature, { code, enabled })`, `list()`. */
  featureCodes: Resource;
  /** `list({ extension })`, `delete(id)`. */
  registrations: Resource;
  calls: Resource;
}

/** What a dial target may carry: `confirm` (accept with a key before connecting). */
export interface TargetOptions {
  confirm?: { key?: string; timeout?: number; prompt?: { say?: string; language?: string; recording?: string } };
}
export function dialExtension(number: string, fields?: TargetOptions): DialTarget;
export function dialNumber(number: string, fields?: TargetOptions): DialTarget;
export function dialSip(uri: string, fields?: TargetOptions): DialTarget;
export function dialTrunk(trunk: string, number: string, fields?: TargetOptions): DialTarget;
export function dialQueue(queue: string): DialTarget;

/** Options in camelCase or as the contract spells them (snake_case is sent). */
export interface SayOptions { language?: string; voice?: string; loop?: number }
export interface PlayOptions { recording?: string; url?: string; loop?: number }

export class Gather {
  constructor(fields?: {
    numDigits?: number; action?: string; timeout?: number; finishOnKey?: string;
    interDigitTimeout?: number; input?: "dtmf"[];
  } & Json);
  say(text: string, options?: SayOptions): this;
  play(source: PlayOptions): this;
  pause(length: number): this;
  toJSON(): Verb;
}

export class Document {
  verbs: Verb[];
  say(text: string, options?: SayOptions): this;
  play(source: PlayOptions): this;
  pause(length: number): this;
  gather(gather: Gather): this;
  dial(targets: DialTarget[], options?: {
    timeout?: number; action?: string; strategy?: string; callerId?: string; callerName?: string;
    answerOnBridge?: boolean; record?: boolean; timeLimit?: number;
    ringback?: { recording?: string; url?: string };
  } & Json): this;
  record(options?: {
    maxLength?: number; action?: string; finishOnKey?: string; timeout?: number;
    playBeep?: boolean; recordingStatusCallback?: string;
  } & Json): this;
  redirect(target: { url?: string; destination?: string }): this;
  enqueue(queue: string, options?: { waitUrl?: string; action?: string }): this;
  leave(): this;
  reject(reason?: "busy" | "unavailable" | "rejected"): this;
  hangup(): this;
  toJSON(): Verb[];
}

export class SignatureError extends Error {}

export function verifySignature(
  secret: string | Buffer,
  header: string,
  body: string | Buffer,
  options?: { toleranceS?: number; nowS?: number },
): void;

export function webhookHandler(
  secret: string,
  handler: (path: string, fields: Json) => Document | Verb[] | Promise<Document | Verb[]>,
  options?: { toleranceS?: number },
): (req: IncomingMessage, res: ServerResponse) => void;
