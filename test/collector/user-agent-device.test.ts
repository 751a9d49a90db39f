// test tier: fast (in-process, no child processes)
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PutRecordCommand } from "@aws-sdk/client-firehose";
import { deviceTypeOf, withDeviceType } from "../../src/collector/user-agent-device.js";
import { post, readRaw, startFixture, stopFixture, type CollectorFixture } from "./collector-fixture.js";

/** User-Agents of real browsers (Playwright's device descriptors and current desktop releases). */
const agents: Record<string, [userAgent: string, expected: string]> = {
  "iPhone 13": [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.0 Mobile/15A372 Safari/604.1",
    "mobile",
  ],
  "Pixel 7": [
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "mobile",
  ],
  "iPod touch": [
    "Mozilla/5.0 (iPod touch; CPU iPhone OS 12_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)",
    "mobile",
  ],
  "iPad Pro 11": [
    "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0 Mobile/15E148 Safari/604.1",
    "tablet",
  ],
  "Galaxy Tab S4": [
    "Mozilla/5.0 (Linux; Android 8.1.0; SM-T837A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "tablet",
  ],
  "Kindle Fire (Silk)": [
    "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.1.1 like Chrome/120.0.0.0 Safari/537.36",
    "tablet",
  ],
  "Desktop Chrome": [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "desktop",
  ],
  "Desktop Firefox": [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "desktop",
  ],
  // iPadOS Safari asks for desktop sites and sends a Mac's User-Agent: only the page's touch points tell.
  "iPadOS Safari (as a Mac)": [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
    "desktop",
  ],
};

describe("the device type of a User-Agent", () => {
  for (const [name, [userAgent, expected]] of Object.entries(agents))
    test(`${name}: ${expected}`, () => assert.equal(deviceTypeOf(userAgent), expected));

  test("Client Hints' Sec-CH-UA-Mobile: ?1 means mobile, ?0 leaves it to the User-Agent", () => {
    const [desktop] = agents["Desktop Chrome"]!;
    assert.equal(deviceTypeOf(desktop, "?1"), "mobile");
    assert.equal(deviceTypeOf(desktop, "?0"), "desktop");
    assert.equal(deviceTypeOf(agents["Galaxy Tab S4"]![0], "?1"), "tablet");
  });

  test("a client that is not a browser has none", () => {
    for (const userAgent of [
      undefined,
      "",
      "curl/8.5.0",
      "node",
      "python-requests/2.32.3",
      "Go-http-client/1.1",
    ])
      assert.equal(deviceTypeOf(userAgent, "?1"), undefined, String(userAgent));
  });
});

describe("withDeviceType", () => {
  test("adds the member first and leaves the rest of the text character for character", () => {
    const event =
      '{"event_id":9007199254740993,"price":1.50,"event_type":"a","event_type":"b","p":{"x":1e3}}';
    assert.equal(withDeviceType(event, "mobile"), `{"device_type":"mobile",${event.slice(1)}`);
  });

  test("an empty object", () => {
    assert.equal(withDeviceType("{}", "tablet"), '{"device_type":"tablet"}');
    assert.deepEqual(JSON.parse(withDeviceType("{}", "tablet")), { device_type: "tablet" });
  });
});

describe("POST /v1/events fills in device_type from the browser's User-Agent", () => {
  let f: CollectorFixture;
  before(async () => {
    f = await startFixture({
      streams: [
        { name: "clickstream-pipeline-stream", bufferingHints: { sizeInMBs: 1, intervalInSeconds: 0 } },
      ],
    });
  });
  after(() => stopFixture(f));

  test("only where the event has none, only on /v1/events, numbers and keys untouched", async () => {
    const [iphone] = agents["iPhone 13"]!;
    const sent = [
      '{"event_id":9007199254740993,"price":1.50,"event_type":"a","event_type":"b"}',
      '{"event_id":"kept","device_type":"desktop"}',
      '{"event_id":"null-kept","device_type":null}',
      "{}",
    ];
    const answer = await post(`${f.collector.url}/v1/events`, `[${sent.join(", ")}]`, {
      "content-type": "text/plain",
      "user-agent": iphone,
    });
    assert.equal(answer.json.accepted, 4);
    // A script's request, and a Firehose record, are stored as sent.
    await post(`${f.collector.url}/v1/events`, '{"event_id":"curl"}', {
      "content-type": "application/json",
      "user-agent": "curl/8.5.0",
    });
    await f.client.send(
      new PutRecordCommand({
        DeliveryStreamName: "clickstream-pipeline-stream",
        Record: { Data: Buffer.from('{"event_id":"firehose"}') },
      }),
    );
    await f.collector.flush();
    const lines = (await readRaw(f.storage)).flatMap((o) => o.lines).sort();
    assert.deepEqual(lines, [
      '{"device_type":"mobile","event_id":9007199254740993,"price":1.50,"event_type":"a","event_type":"b"}',
      '{"device_type":"mobile"}',
      '{"event_id":"curl"}',
      '{"event_id":"firehose"}',
      '{"event_id":"kept","device_type":"desktop"}',
      '{"event_id":"null-kept","device_type":null}',
    ]);
  });
});
