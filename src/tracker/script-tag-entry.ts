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
    const data = script.dataset;
    const on = (value?: string): boolean => value != null && value != "false"; // `data-x` alone is on
    const [, dispatch] = startTracker(
      {
        endpoint: data.endpoint ?? new URL(script.src).origin,
        writeKey: data.writeKey,
        auto: data.auto != "false",
        respectDnt: on(data.respectDnt),
        allowAutomation: on(data.allowAutomation),
        redactParams: data.redactParams?.split(","),
      },
      page.clickstream?.q ?? [],
    );
    page.clickstream = Object.assign((...args: unknown[]) => dispatch(args), { loaded: true as const });
  }
} catch {
  // never into the page
}
