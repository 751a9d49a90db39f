/**
 * The synthetic clickstream generator: realistic, deterministic, fast, with optional defects whose exact
 * ground truth is computed while generating. A tool for demos, tests and benchmarks (not a pipeline stage).
 */
export {
  EventGenerator,
  generateEventLines,
  generateEventRecords,
  generatedReasons,
  summarizeGeneration,
  type GeneratorOptions,
} from "./event-generator.js";
export { writeNdjsonFile } from "./ndjson-file-writer.js";
export { writeRawObjects } from "./raw-object-writer.js";
export { defectKinds, variantKinds } from "./record-defects.js";
export { productCatalogue } from "./catalogue.js";
