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

const isFieldEnd = (c: string): boolean => c === "," || c === "\r" || c === "\n";

const fieldEnd = /[,\r\n]/g;

/** Index of the next `,`, CR or LF from `from`, or -1. */
function nextFieldEnd(text: string, from: number): number {
  fieldEnd.lastIndex = from;
  return fieldEnd.exec(text)?.index ?? -1;
}

type State = "fieldStart" | "unquoted" | "maybeNumber" | "quotedFirst" | "quoted" | "quoteInQuoted";

/**
 * Rewrites RFC 4180 CSV text (as result-formatter.ts writes it) piece by piece so that no cell starts a
 * formula; every other byte passes as it came. Works on any split of the text, so a download streams.
 */
class CsvFormulaGuard {
  private state: State = "fieldStart";
  private pending = "";

  /** The guarded text of the next piece of CSV. */
  feed(text: string): string {
    const out: string[] = [];
    let i = 0;
    while (i < text.length) {
      // Inside a field nothing changes until its end: copy up to it in one slice (a download is megabytes).
      if (this.state === "unquoted" || this.state === "quoted") {
        const end = this.state === "unquoted" ? nextFieldEnd(text, i) : text.indexOf('"', i);
        if (end === -1) {
          out.push(text.slice(i));
          break;
        }
        out.push(text.slice(i, end + 1));
        this.state = this.state === "unquoted" ? "fieldStart" : "quoteInQuoted";
        i = end + 1;
      } else {
        out.push(this.step(text[i]!));
        i++;
      }
    }
    return out.join("");
  }

  /** One character at a field's start or end, where the guard decides. */
  private step(c: string): string {
    switch (this.state) {
      case "fieldStart":
        if (c === '"') this.state = "quotedFirst";
        else if (c === "-") {
          this.pending = c;
          this.state = "maybeNumber";
          return "";
        } else if (!isFieldEnd(c)) {
          this.state = "unquoted";
          if (formulaStart.has(c)) return `'${c}`;
        }
        return c;
      case "maybeNumber":
        if (isFieldEnd(c)) {
          this.state = "fieldStart";
          return this.flushNumber() + c;
        }
        if (numberChar.test(c)) {
          this.pending += c;
          return "";
        }
        this.state = "unquoted";
        return `'${this.flushRaw()}${c}`;
      case "quotedFirst":
        this.state = c === '"' ? "quoteInQuoted" : "quoted";
        return formulaStart.has(c) ? `'${c}` : c;
      case "quoteInQuoted":
        // `""` is a quote inside the field; anything else ends it.
        if (c === '"') this.state = "quoted";
        else this.state = isFieldEnd(c) ? "fieldStart" : "unquoted";
        return c;
      default:
        return c;
    }
  }

  /** What is still held back at the end of the text (a last field that may be a negative number). */
  end(): string {
    return this.state === "maybeNumber" ? this.flushNumber() : "";
  }

  private flushNumber(): string {
    const number = negativeNumber.test(this.pending);
    const field = this.flushRaw();
    return number ? field : `'${field}`;
  }

  private flushRaw(): string {
    const field = this.pending;
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
