import { uuid } from "./visitor-identity.js";

/**
 * Which queued events this page may send, so that tabs flushing at once never send one event twice.
 * Locks alone cannot do it: one tab's localStorage removals reach another tab's renderer later than a
 * lock handed over between them (measured: every round doubled), so tabs must not share events at all.
 *
 * Each page queues under an owner id and holds a Web Lock named after it while it lives. A page sends
 * the events of its owners only; the events of a page that is gone (no lock held) are adopted by
 * claiming its lock (granted to one page only) and holding it for good. On `pagehide` every lock is
 * released (so a bfcache'd page's events can be adopted); a restored page continues under a new id.
 * Without Web Locks (insecure origins, old browsers) every page sends every event: tabs flushing at
 * once may then send one twice, which the transform's dedup removes.
 */
export type QueueOwnership = readonly [
  /** The id this page queues new events under. */
  owner: () => string,
  /** True when this page may send the events of `owner`. */
  mine: (owner: string) => boolean,
  /** Claims the owners of `owners` whose pages are gone. */
  adopt: (owners: readonly string[]) => Promise<void>,
  /** Releases every lock held (the page is being hidden for good, or frozen). */
  release: () => void,
  /** A new owner id, held from now on (after a back/forward cache restore). */
  renew: () => void,
];

const lockPrefix = "clickstream:";

export function queueOwnership(): QueueOwnership {
  const locks = navigator.locks as LockManager | undefined;
  let owner = "";
  let owners: Set<string> | undefined; // undefined: no Web Locks here, every event is this page's to send
  let releases: (() => void)[] = [];
  /** Takes `id`'s lock if free and holds it until release(); tells whether it got it. */
  const hold = (id: string, granted?: (got: boolean) => void): void =>
    void locks!
      .request(lockPrefix + id, { ifAvailable: true }, (lock) => {
        granted?.(!!lock);
        return lock && new Promise<void>((release) => releases.push(release));
      })
      .catch(() => {
        owners = undefined; // refused (opaque origin): nobody to share the queue with
        granted?.(false);
      });
  const renew = (): void => {
    owner = uuid().slice(0, 8);
    owners = locks && new Set([owner]);
    if (owners) hold(owner);
  };
  renew();
  return [
    () => owner,
    (id) => !owners || owners.has(id),
    async (ids) => {
      if (!owners) return;
      const alive = ((await locks!.query()).held ?? []).map((lock) => lock.name);
      for (const id of ids)
        if (
          !owners.has(id) &&
          !alive.includes(lockPrefix + id) &&
          (await new Promise((got) => hold(id, got)))
        )
          owners?.add(id);
    },
    () => {
      releases.forEach((release) => release());
      releases = [];
    },
    renew,
  ];
}
