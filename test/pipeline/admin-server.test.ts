import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startAdminServer, type AdminServer } from "../../src/pipeline/admin-server.js";

// Counts triggers instead of running transform → crawl: what is under test is who may ask for a run.
const triggers: string[] = [];
const scheduler = {
  busy: false,
  nextRunAt: undefined,
  history: [],
  trigger: (reason: string) => void triggers.push(reason),
};

let admin: AdminServer;
before(async () => {
  admin = await startAdminServer(scheduler, 0);
});
after(() => admin.close());

async function postRun(headers: Record<string, string>): Promise<{ status: number; code?: string }> {
  const response = await fetch(`${admin.url}/run`, { method: "POST", headers });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, code: body.code };
}

describe("pipeline admin endpoint: POST /run", () => {
  it("refuses what a web page of another site can send (a simple form POST, or any foreign Origin)", async () => {
    const before = triggers.length;
    const refused: Record<string, string>[] = [
      // <form method=post action=http://127.0.0.1:4575/run>: a simple request, no preflight.
      { "content-type": "application/x-www-form-urlencoded", origin: "http://evil.example" },
      // The same without an Origin (older browsers, or a page with a no-referrer policy sending "null").
      { "content-type": "text/plain" },
      { "content-type": "text/plain", origin: "null" },
      // The header alone does not make a foreign page's request acceptable.
      { "x-clickstream-admin": "1", origin: "http://evil.example" },
      { "x-clickstream-admin": "1", origin: "null" },
      { "x-clickstream-admin": "1", "sec-fetch-site": "cross-site" },
    ];
    for (const headers of refused) {
      const answer = await postRun(headers);
      assert.deepEqual(
        answer,
        { status: 403, code: "CS_ERR_PIPELINE_ADMIN_CROSS_SITE" },
        JSON.stringify(headers),
      );
    }
    assert.equal(triggers.length, before, "no run was started");
  });

  it("starts a run for a script on this machine (the header, no Origin or its own)", async () => {
    const before = triggers.length;
    assert.equal((await postRun({ "x-clickstream-admin": "1" })).status, 202);
    assert.equal((await postRun({ "x-clickstream-admin": "1", origin: admin.url })).status, 202);
    const byName = admin.url.replace("127.0.0.1", "localhost");
    const response = await fetch(`${byName}/run`, {
      method: "POST",
      headers: { "x-clickstream-admin": "1", origin: byName },
    });
    assert.equal(response.status, 202);
    assert.deepEqual(triggers.slice(before), ["admin", "admin", "admin"]);
  });
});

describe("pipeline --help: the admin examples work as printed", () => {
  it("its curl lines for /run and /status get 202 and 200 from a real admin endpoint", async () => {
    const { execFile } = await import("node:child_process");
    const { promisify } = await import("node:util");
    const { fileURLToPath } = await import("node:url");
    const exec = promisify(execFile);
    const bin = fileURLToPath(new URL("../../../bin/clickstream", import.meta.url));
    const { stdout } = await exec(process.execPath, [bin, "pipeline", "--help"]);
    const curls = [...stdout.matchAll(/^ {2}\$ (curl .*?4575\/\S+)/gm)].map((m) => m[1]!);
    assert.equal(curls.length, 2, stdout);
    const before = triggers.length;
    for (const line of curls) {
      const command = `${line.replace("http://127.0.0.1:4575", admin.url)} -s -o /dev/null -w '%{http_code}'`;
      const { stdout: status } = await exec("bash", ["-c", command]);
      assert.equal(status, line.includes("/run") ? "202" : "200", line);
    }
    assert.equal(triggers.length, before + 1);
  });
});
