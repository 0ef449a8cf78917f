// A real Switchboard for the SDK's tests: the binary named by SWITCHBOARD_BIN (the
// repository's test command sets it), on free ports, with a fresh SQLite database.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, accessSync, constants } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";

export function binary() {
  const path = process.env.SWITCHBOARD_BIN;
  if (!path) throw new Error("set SWITCHBOARD_BIN to the switchboard binary (./scripts/test does)");
  accessSync(path, constants.X_OK);
  return path;
}

export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), "sb-node-"));
  const key = `sdk-admin:${randomBytes(16).toString("hex")}`;
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("SWITCHBOARD_") && k !== "DATABASE_URL"),
  );
  Object.assign(env, {
    SWITCHBOARD_HTTP_ADDR: "127.0.0.1:0",
    SWITCHBOARD_SIP_ADDR: "127.0.0.1:0",
    SWITCHBOARD_DATA_DIR: dir,
    SWITCHBOARD_ADMIN_KEY: key,
    SWITCHBOARD_LOG: "warn",
  });
  const child = spawn(binary(), [], { env, stdio: ["ignore", "pipe", "ignore"] });
  let sip = null; // "127.0.0.1:<port>", UDP and TCP
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      if (line.startsWith("sip listening on ")) sip = line.split(" ")[3];
      else if (line.startsWith("listening on ")) resolve(line.split(" ").pop());
    });
    child.on("exit", () => reject(new Error("switchboard did not start")));
  });
  return {
    url,
    sip,
    key,
    stop() {
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
