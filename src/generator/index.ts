/**
 * The synthetic clickstream generator: realistic, deterministic, fast, with optional defects whose exact
 * ground truth is computed while generating. A tool for demos, tests and benchmarks (not a pipeline stage).
 */
export {
  EventGenerator,
  generateEventLines,
  generateEventRecords,
  generatedReasons,
  streamSeed,
  summarizeGeneration,
  tooLargeEveryRecords,
  validateGeneratorOptions,
  type GeneratedRecord,
  type GenerationSummary,
  type GeneratorOptions,
  type RecordScope,
} from "./event-generator.js";
export { writeNdjsonFile, writeNdjsonStream, type NdjsonWriteOptions } from "./ndjson-file-writer.js";
export {
  frame,
  writeRawObjects,
  type RawFraming,
  type RawFramingOption,
  type RawObjectsOptions,
  type RawObjectsResult,
} from "./raw-object-writer.js";
export { defectKinds, tooLargeRecordBytes, variantKinds } from "./record-defects.js";
export { productCatalogue, productCategories, type Product } from "./catalogue.js";
export { ChunkBuffer } from "./chunk-buffer.js";
