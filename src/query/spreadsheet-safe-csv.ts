import { StringDecoder } from "node:string_decoder";
import { Transform } from "node:stream";

/**
 * What makes a spreadsheet read a cell as a formula (OWASP, CSV injection): `=`, `+`, `-`, `@`, and a
 * leading tab or carriage return. Such a cell gets a `'` in front, which spreadsheets show as text.
 */
const formulaStart = new Set(["=", "+", "-", "@", "\t", "\r"]);

/** A plain negative number (`-12`, `-0.5`, `-1e-7`) is no formula: it stays a number. */
const negativeNumber = /^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const numberChar = /[\d.eE+-]/;

type State = "fieldStart" | "unquoted" | "maybeNumber" | "quotedFirst" | "quoted" | "quoteInQuoted";

/**
 * Rewrites RFC 4180 CSV text (as result-formatter.ts writes it) piece by piece so that no cell starts a
 * formula; every other byte passes as it came. Works on any split of the text, so a download streams.
 */
export class CsvFormulaGuard {
  private state: State = "fieldStart";
  private pending = "";

  /** The guarded text of the next piece of CSV. */
  feed(text: string): string {
    let out = "";
    for (const c of text) {
      switch (this.state) {
        case "fieldStart":
          if (c === '"') this.state = "quotedFirst";
          else if (c === "-") {
            this.pending = c;
            this.state = "maybeNumber";
            continue;
          } else if (c !== "," && c !== "\r" && c !== "\n") {
            if (formulaStart.has(c)) out += "'";
            this.state = "unquoted";
          }
          out += c;
          break;
        case "unquoted":
          if (c === "," || c === "\r" || c === "\n") this.state = "fieldStart";
          out += c;
          break;
        case "maybeNumber":
          if (c === "," || c === "\r" || c === "\n") {
            out += this.flushNumber() + c;
            this.state = "fieldStart";
          } else if (numberChar.test(c)) this.pending += c;
          else {
            out += `'${this.pending}${c}`;
            this.pending = "";
            this.state = "unquoted";
          }
          break;
        case "quotedFirst":
          if (formulaStart.has(c)) out += "'";
          this.state = c === '"' ? "quoteInQuoted" : "quoted";
          out += c;
          break;
        case "quoted":
          if (c === '"') this.state = "quoteInQuoted";
          out += c;
          break;
        case "quoteInQuoted":
          // `""` is a quote inside the field; anything else ends it.
          if (c === '"') this.state = "quoted";
          else this.state = c === "," || c === "\r" || c === "\n" ? "fieldStart" : "unquoted";
          out += c;
          break;
      }
    }
    return out;
  }

  /** What is still held back at the end of the text (a last field that may be a negative number). */
  end(): string {
    return this.state === "maybeNumber" ? this.flushNumber() : "";
  }

  private flushNumber(): string {
    const field = negativeNumber.test(this.pending) ? this.pending : `'${this.pending}`;
    this.pending = "";
    return field;
  }
}

/** CSV text with every formula-starting cell neutralised (`clickstream query --format csv --spreadsheet-safe`). */
export function spreadsheetSafeCsv(csv: string): string {
  const guard = new CsvFormulaGuard();
  return guard.feed(csv) + guard.end();
}

/** The same as a stream of UTF-8 bytes (the console's CSV download); the stored file stays as written. */
export function spreadsheetSafeStream(): Transform {
  const guard = new CsvFormulaGuard();
  const decoder = new StringDecoder("utf8");
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, guard.feed(decoder.write(chunk)));
    },
    flush(done) {
      done(null, guard.feed(decoder.end()) + guard.end());
    },
  });
}
