import { startTracker } from "./create-tracker.js";

/**
 * The script tag (`/tracker.js`, an IIFE): options from the tag's `data-*` attributes; calls queued by the
 * snippet's stub (`clickstream.q`) are replayed, then `window.clickstream` becomes the real dispatcher.
 */
type Dispatcher = ((...args: unknown[]) => void) & { q?: ArrayLike<unknown>[]; loaded?: true };
const page = window as Window & { clickstream?: Dispatcher };

try {
  // Loaded twice (two snippets)? The first one wins; a second would count every page view twice.
  if (!page.clickstream?.loaded) {
    const script = document.currentScript as HTMLScriptElement;
    // The attributes are the options' names (data-write-key is dataset.writeKey): startTracker reads them as they are.
    const [, dispatch] = startTracker(
      { endpoint: new URL(script.src).origin, ...script.dataset },
      page.clickstream?.q ?? [],
    );
    page.clickstream = Object.assign((...args: unknown[]) => dispatch(args), { loaded: true as const });
  }
} catch {
  // never into the page
}
