// Types of @switchboard-voice/sdk (src/index.js).
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

export class Resource {
  path: string;
  create(body: Json): Promise<Json>;
  get(key: string): Promise<Json>;
  update(key: string, body: Json): Promise<Json>;
  replace(key: string, body: Json): Promise<Json>;
  delete(key: string): Promise<null>;
  post(key: string, body: Json): Promise<Json>;
  list(options?: { pageSize?: number } & Json): AsyncGenerator<Json>;
}

export class Client {
  constructor(baseUrl: string, apiKey: string, options?: { retries?: number; timeoutMs?: number });
  request(method: string, path: string, body?: unknown, query?: Json): Promise<any>;
  extensions: Resource;
  recordings: Resource;
  applications: Resource;
  numbers: Resource;
  trunks: Resource;
  outboundRoutes: Resource;
  apiKeys: Resource;
  ringGroups: Resource;
  ivrs: Resource;
  daynight: Resource;
  timeConditions: Resource;
  queues: Resource;
  featureCodes: Resource;
  registrations: Resource;
  calls: Resource;
}

export function dialExtension(number: string, fields?: Json): DialTarget;
export function dialNumber(number: string, fields?: Json): DialTarget;
export function dialSip(uri: string, fields?: Json): DialTarget;

export class Gather {
  constructor(options?: { numDigits?: number; action?: string; timeout?: number; finishOnKey?: string } & Json);
  say(text: string, options?: { language?: string }): this;
  play(source: { recording?: string; url?: string }): this;
  toJSON(): Verb;
}

export class Document {
  verbs: Verb[];
  say(text: string, options?: { language?: string; loop?: number }): this;
  play(source: { recording?: string; url?: string; loop?: number }): this;
  pause(length: number): this;
  gather(gather: Gather): this;
  dial(targets: DialTarget[], options?: { timeout?: number; action?: string } & Json): this;
  record(options?: { maxLength?: number; action?: string; finishOnKey?: string } & Json): this;
  redirect(target: { url?: string; destination?: string }): this;
  enqueue(queue: string, options?: { waitUrl?: string; action?: string }): this;
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
