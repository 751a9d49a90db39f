import type { BrowserStore } from "./browser-store.js";
import { queueKeyPrefix, uuid } from "./visitor-identity.js";

/** Another tab's queued events become anyone's to send once they are this old: that tab is likely gone. */
const leaseMs = 60_000;
/** The owner whose page was hidden last (`pagehide`): its events are anyone's to send at once. */
const releasedKey = "clickstream:r";

/**
 * Which queued events this page may send, so that tabs flushing at once do not send one event twice: one
 * tab's localStorage removals reach another tab later than its next flush (measured in Chromium: every
 * round of simultaneous flushes doubled), so live tabs must not share events at all.
 *
 * Each tab queues under its own owner id, kept in `sessionStorage` (one per tab; it lasts through the tab's
 * navigations, reloads and back/forward cache restores, so the tab's next page sends what the last one left
 * at once). A page sends its tab's events; those of the owner hidden last (a tab just closed: the next page
 * of the site, in any tab, sends them); and any owner's queued more than a minute ago (a tab closed before
 * that one, or one that cannot deliver): a lease that costs no code to renew. Two pages may then send such
 * an event at once, as may a duplicated tab (same sessionStorage) or pages without sessionStorage (a new id
 * per page): the transform's dedup on event_id keeps one (at least once, stored exactly once). Web Locks
 * did this exactly, for 182 of the script's gzipped bytes (issue 17).
 */
export type QueueOwnership = readonly [
  /** The id this tab queues new events under. */
  owner: string,
  /** True when this page may send the queued event of `key`. */
  mine: (key: string) => boolean,
  /** The page is hidden: its tab's events are anyone's (the tab may be closing). */
  release: () => void,
];

export function queueOwnership([get, set]: BrowserStore): QueueOwnership {
  let owner = uuid().slice(0, 8);
  try {
    owner = sessionStorage[queueKeyPrefix] ||= owner;
  } catch {
    // no sessionStorage (blocked, opaque origin): an owner for this page only
  }
  // `.<owner>.` can only be a key's owner part: its time has no dots, its event id none.
  const owns = (id: string | null, key: string): boolean => key.includes(`.${id}.`);
  return [
    owner,
    (key) =>
      owns(owner, key) ||
      owns(get(releasedKey), key) ||
      parseInt(key.slice(queueKeyPrefix.length), 36) < Date.now() - leaseMs,
    () => set(releasedKey, owner),
  ];
}
