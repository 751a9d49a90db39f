/**
 * First-party storage: `localStorage` when the browser lets the page keep data, else memory for the life
 * of the page (storage blocked, quota full, opaque origin). No function of it ever throws.
 * A tuple rather than an object: minified, its members cost no property names (the size budget is 2.5 KB).
 */
export type BrowserStore = readonly [
  get: (key: string) => string | null,
  set: (key: string, value: string) => void,
  del: (key: string) => void,
  /** Keys starting with `prefix`, sorted. */
  keys: (prefix: string) => string[],
];

export function openStore(): BrowserStore {
  // What localStorage refused; read first so a value kept here is never shadowed by a stale stored one.
  const memory = new Map<string, string>();
  let local: Storage | undefined;
  try {
    local = localStorage; // the getter itself throws where storage is blocked
  } catch {
    // memory only
  }
  return [
    (key) => {
      try {
        return memory.get(key) ?? local!.getItem(key);
      } catch {
        return null;
      }
    },
    (key, value) => {
      try {
        local!.setItem(key, value);
        memory.delete(key);
      } catch {
        memory.set(key, value); // QuotaExceededError, or no storage: keep it for this page's life
      }
    },
    (key) => {
      memory.delete(key);
      try {
        local!.removeItem(key);
      } catch {
        // nothing stored there
      }
    },
    (prefix) => {
      const found = new Set(memory.keys());
      try {
        Object.keys(local!).map((key) => found.add(key)); // a Storage's own keys are its items' names
      } catch {
        // memory only
      }
      return [...found].filter((key) => key.startsWith(prefix)).sort();
    },
  ];
}
