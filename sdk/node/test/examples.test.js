// The IVR and day/night examples in Node, Python and Rust give the same result: the same
// keys take the same path through each, as `switchboard simulate` shows.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { promisify } from "node:util";
import { createConnection } from "node:net";
import { fileURLToPath } from "node:url";
import { join, dirname } from "node:path";
import { binary } from "../support/server.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
let nextPort = 18500 + (process.pid % 400);

async function startExample(language) {
  const port = nextPort++;
  const [cmd, ...script] = {
    node: ["node", join(root, "examples/node/ivr_daynight.mjs")],
    python: ["python3", join(root, "examples/python/ivr_daynight.py")],
    // Built with the workspace, next to the binary.
    rust: [join(dirname(binary()), "examples/ivr_daynight")],
  }[language];
  const child = spawn(cmd, [...script, String(port), "whsec_example"], {
    env: { ...process.env, PYTHONPATH: join(root, "sdk/python") },
    stdio: "ignore",
  });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((resolve) => {
      const s = createConnection(port, "127.0.0.1");
      s.on("connect", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (up) return { port, stop: () => child.kill() };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`the ${language} example did not start`);
}

async function path(port, keys) {
  const { stdout } = await promisify(execFile)(binary(), [
    "simulate", `http://127.0.0.1:${port}/voice`, "--json", "--secret", "whsec_example", "--keys", keys,
  ]);
  const steps = stdout.trim().split("\n").map((l) => JSON.parse(l));
  return steps
    .filter((s) => ["request", "says", "plays", "keys", "dials", "ended"].includes(s.step))
    .map((s) => {
      switch (s.step) {
        case "request": return `request ${new URL(s.url).pathname}`;
        case "says": return `says ${s.text}`;
        case "plays": return `plays ${s.audio}`;
        case "keys": return `keys ${s.digits}`;
        case "dials": return `dials ${s.targets.map((t) => t.number).join(",")}`;
        default: return `ended ${s.status}`;
      }
    });
}

for (const keys of ["1", "3,1", "5,5,5"]) {
  test(`keys ${keys}: the Node, Python and Rust examples take the same path`, async () => {
    const node = await startExample("node");
    const python = await startExample("python");
    const rust = await startExample("rust");
    try {
      const [a, b, c] = [await path(node.port, keys), await path(python.port, keys), await path(rust.port, keys)];
      assert.deepEqual(a, b);
      assert.deepEqual(a, c);
      const dialled = a.find((s) => s.startsWith("dials"));
      assert.equal(dialled, keys === "5,5,5" ? "dials 58106" : "dials 58102");
    } finally {
      node.stop();
      python.stop();
      rust.stop();
    }
  });
}
