/** `import { createTracker } from "clickstream/tracker"`: the browser tracker for bundlers. */
export { createTracker } from "./create-tracker.js";
export type { EventProperties, Tracker, TrackerOptions } from "./create-tracker.js";
export { defaultRedactedPattern } from "./page-context.js";
