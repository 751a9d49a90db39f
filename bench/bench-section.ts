/** One section of `npm run bench`: bench/run-bench.ts prints every section as a table. */
export interface BenchSection {
  title: string;
  rows: { name: string; value: string; goal?: string; met?: boolean }[];
  notes?: string[];
}

export const fmt = {
  seconds: (ms: number): string => `${(ms / 1000).toFixed(2)} s`,
  ratio: (x: number): string => `${x.toFixed(2)}×`,
  int: (n: number): string => Math.round(n).toLocaleString("en-US"),
  mb: (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`,
};
