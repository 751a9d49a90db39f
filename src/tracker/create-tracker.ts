import { openStore } from "./browser-store.js";
import { batchBytes, batches, postBatch, type Batch } from "./event-delivery.js";
import { eventQueue, type EventQueue } from "./event-queue.js";
import { defaultRedactedPattern, namesPattern, privacySignal, urlRedactor } from "./page-context.js";
import { queueOwnership } from "./queue-ownership.js";
import { optedOutKey, userIdKey, uuid, visitorIdentity, type VisitorIdentity } from "./visitor-identity.js";

export interface TrackerOptions {
  /** The collector's base URL, e.g. `https://collector.example.com`; events go to `<endpoint>/v1/events`. */
  readonly endpoint: string;
  /** One of the collector's `writeKeys`, sent as `?writeKey=` (keeps every request CORS-simple). */
  readonly writeKey?: string;
  /** Automatic page views on load, SPA route changes and back/forward cache restores (default true). */
  readonly auto?: boolean;
  /** Do Not Track or Global Privacy Control mean opted out (default false). */
  readonly respectDnt?: boolean;
  /** Count browsers driven by automation (`navigator.webdriver`), skipped by default. */
  readonly allowAutomation?: boolean;
  /** URL parameters removed from page and referrer URLs before anything is sent (default: `defaultRedactedPattern`). */
  readonly redactParams?: readonly string[];
}

/**
 * What `startTracker` takes: the ES module's options, or the script tag's `data-*` attributes as they are
 * (`dataset` has the same names; a flag alone is `""` and on, `"false"` is off, a list is comma-separated):
 * one reading of both costs the script fewer bytes than converting the attributes.
 */
type StartOptions = { readonly [K in keyof TrackerOptions]?: TrackerOptions[K] | string } & {
  readonly endpoint: string;
};

/** A flag of `StartOptions` is on. */
const on = (value: unknown): boolean => value != null && value !== false && value != "false";

/** Event properties; `product_id`, `product_name`, `product_category`, `price`, `quantity` are contract fields. */
export type EventProperties = Record<string, unknown>;

/** Every method swallows (and counts) its own errors: the tracker never throws into the page. */
export interface Tracker {
  track(eventType: string, properties?: EventProperties): void;
  /** A page view now. */
  page(): void;
  /** From now on `user_id` is `userId` (kept in first-party storage); a falsy id goes back to anonymous. */
  identify(userId: string | null): void;
  /** Sends everything queued now; resolves when the attempt is over (it never rejects). */
  flush(): Promise<void>;
  /** Persists the visitor's choice: no event is recorded until `optin`. */
  optout(): void;
  optin(): void;
}

const contractFields = ["product_id", "product_name", "product_category", "price", "quantity"];
const batchEvents = 10;
const batchMs = 5000;
const retryBaseMs = 1000;
const retryMaxMs = 60_000;

/** A tracker for the page: `import { createTracker } from "clickstream/tracker"`. */
export function createTracker(options: TrackerOptions): Tracker {
  return startTracker(options, [])[0];
}

/**
 * The tracker plus a command dispatcher for the script tag's `clickstream(command, ...args)`. Calls queued
 * before the script loaded are replayed in order; the automatic page view goes before the first queued
 * event, so an `identify` queued before it already applies to it.
 */
export function startTracker(
  options: StartOptions,
  queued: readonly ArrayLike<unknown>[],
): [tracker: Tracker, dispatch: (args: ArrayLike<unknown>) => void] {
  // Dropped events and swallowed errors, sent as a `tracker_health` event with the next batch.
  let health: Record<string, number | string> = {};
  const count = (name: string, n: number): void => {
    if (n > 0) health[name] = ((health[name] as number) || 0) + n;
  };
  const guard =
    <A extends unknown[], R>(f: (...args: A) => R) =>
    (...args: A): R | undefined => {
      try {
        return f(...args);
      } catch (error) {
        count("errors", 1);
        health.last_error = String(error).slice(0, 200);
      }
    };

  const store = openStore();
  const [get, set, del] = store;
  const flying = new Set<string>(); // keys in a keepalive request right now
  let blocked = true; // until set up: automation, a privacy signal, or no DOM (server-side rendering)
  let auto = false;
  // Set up once the page is known to be recorded (tuples: see browser-store.ts for why).
  let identity: VisitorIdentity;
  let enqueue: EventQueue[0];
  let queuedKeys: EventQueue[1];
  let owner: string;
  let mine: (key: string) => boolean;
  let release: () => void;
  let redact: (url: string) => string;
  let url: string;
  let lastMs = 0;
  let pending = 0;
  let attempt = 0;
  let timer: number | undefined;
  let busy: Promise<void> | undefined;
  let again = false; // flush asked for while one was running
  let keepaliveBytes = 0; // ours in flight; the browser's budget is shared by the whole page
  let pageUrl = ""; // the URL at the last route change: the referrer of the next one
  let referrer = "";
  let path: string | undefined;

  const track = guard((eventType: string, properties?: EventProperties): void => {
    if (blocked || get(optedOutKey)) return;
    // Strictly increasing within the page, so event_sequence keeps the order of calls made in one ms.
    const now = (lastMs = Math.max(Date.now(), lastMs + 1));
    const eventId = uuid();
    const [anonymousId, userId, session] = identity;
    const extra: Record<string, string> = {};
    const event: Record<string, unknown> = {
      event_id: eventId,
      user_id: userId(),
      session_id: session(now),
      event_type: eventType,
      timestamp: new Date(now).toISOString(),
      page_url: redact(location.href),
      referrer,
      properties: extra,
    };
    for (const name in properties) {
      const value = properties[name];
      if (contractFields.includes(name)) event[name] = value;
      // The contract's `properties` column is map<string,string>.
      else if (value != null) extra[name] = typeof value == "string" ? value : JSON.stringify(value);
    }
    extra.anonymous_id = anonymousId;
    enqueue(owner, eventId, JSON.stringify(event), now);
    if (++pending >= batchEvents && !attempt) void flush();
    else timer ??= setTimeout(flush, batchMs);
  });

  /** Sends one batch, with keepalive while it fits the budget (it then survives the page's unload). */
  const send = (batch: Batch): Promise<void> => {
    const [keys, , bytes] = batch;
    const keepalive = bytes <= batchBytes - keepaliveBytes;
    if (keepalive) {
      keepaliveBytes += bytes;
      for (const key of keys) flying.add(key);
    }
    return postBatch(url, batch, keepalive)
      .then((refused) => {
        keys.map(del);
        count("dropped_refused", refused);
      })
      .finally(() => {
        if (!keepalive) return;
        keepaliveBytes -= bytes;
        for (const key of keys) flying.delete(key);
      });
  };

  /** The queued keys this page may send, oldest first. */
  const sendable = (): string[] => queuedKeys().filter(mine);

  const deliver = async (): Promise<void> => {
    for (const batch of batches(store, sendable(), batchBytes)) await send(batch); // a failure stops here
  };

  const flush = (): Promise<void> => {
    if (blocked) return Promise.resolve();
    if (Object.keys(health)[0]) {
      const report = health;
      health = {};
      track("tracker_health", report); // goes with this batch: no timer of its own (a 401 would loop)
    }
    clearTimeout(timer);
    timer = undefined;
    if (busy) {
      again = true;
      return busy;
    }
    pending = 0;
    return (busy = deliver()
      .then(
        () => {
          attempt = 0;
        },
        () => {
          clearTimeout(timer);
          // Exponential backoff with full jitter: tabs and visitors that failed together spread out.
          timer = setTimeout(flush, Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** attempt++));
        },
      )
      .then(() => {
        busy = undefined;
        if (again && !attempt) void flush();
        again = false;
      }));
  };

  /**
   * The page is hidden or left: whatever this page may send and has not in flight goes out now, with
   * keepalive, as much as fits the budget; the rest stays queued for the next page load. (No sendBeacon
   * fallback: it cost 49 of the script's gzipped bytes for browsers out of support, issue 17.)
   */
  const hide = (): void => {
    if (blocked) return;
    const [batch] = batches(
      store,
      sendable().filter((key) => !flying.has(key)),
      batchBytes - keepaliveBytes,
      true,
    );
    // Browsers without keepalive (Firefox before 133) may cancel it at unload: it then stays queued.
    if (batch) send(batch).catch(() => undefined);
  };

  /**
   * A page view, unless the path (pathname and hash) is the one of the last view and `force` is off: a
   * replaceState that only changes the query, or popstate and hashchange for one hash change, count once.
   * Every call notes the URL, so the next route change has the URL it came from as its referrer.
   */
  const page = guard((force: boolean): void => {
    const next = location.pathname + location.hash;
    const current = redact(location.href);
    const view = force || next != path;
    if (view && pageUrl && current != pageUrl) referrer = pageUrl;
    path = next;
    pageUrl = current;
    if (view) track("page_view");
  });

  guard(() => {
    auto = options.auto == null || on(options.auto);
    if ((!on(options.allowAutomation) && navigator.webdriver) || (on(options.respectDnt) && privacySignal()))
      return;
    redact = urlRedactor(
      options.redactParams != null
        ? namesPattern(String(options.redactParams).split(","))
        : defaultRedactedPattern,
    );
    referrer = redact(document.referrer); // without a DOM (server-side rendering) setup stops here
    identity = visitorIdentity(store);
    [enqueue, queuedKeys] = eventQueue(store, (n) => count("dropped_overflow", n));
    [owner, mine, release] = queueOwnership(store);
    url =
      options.endpoint.replace(/\/+$/, "") +
      "/v1/events" +
      (options.writeKey ? "?writeKey=" + encodeURIComponent(options.writeKey) : "");
    addEventListener(
      "pagehide",
      guard(() => {
        hide();
        release(); // from here on, another page may send what is left
      }),
    );
    addEventListener(
      "visibilitychange",
      guard(() => document.hidden && hide()),
    );
    addEventListener(
      "pageshow",
      guard((event: PageTransitionEvent) => {
        if (!event.persisted) return;
        if (auto) page(true); // restored from the back/forward cache: a new page view
        void flush();
      }),
    );
    addEventListener("online", () => {
      attempt = 0;
      void flush();
    });
    if (auto) {
      const routed = guard(() => page(false));
      for (const method of ["pushState", "replaceState"] as const) {
        const original = history[method];
        history[method] = (...args: Parameters<History["pushState"]>) => {
          original.apply(history, args);
          routed();
        };
      }
      addEventListener("popstate", routed);
      addEventListener("hashchange", routed);
    }
    blocked = false;
  })();

  const tracker: Tracker = {
    track,
    page: () => void page(true),
    identify: guard((userId: string | null) => (userId ? set(userIdKey, String(userId)) : del(userIdKey))),
    flush,
    optout: guard(() => set(optedOutKey, "1")),
    optin: guard(() => del(optedOutKey)),
  };
  const dispatch = guard((args: ArrayLike<unknown>): void => {
    const [command, ...rest] = [...(args as unknown[])] as [keyof Tracker, ...unknown[]]; // `arguments` too
    (tracker[command] as (...a: unknown[]) => unknown)(...rest); // an unknown command throws: counted
  });

  let viewed = !auto;
  const view = (): void => {
    if (!viewed) page(true);
    viewed = true;
  };
  for (const args of queued) {
    if (args[0] == "track" || args[0] == "page") view();
    dispatch(args);
  }
  view();
  void flush();
  return [tracker, dispatch];
}
