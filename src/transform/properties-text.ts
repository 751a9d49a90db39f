/**
 * The `properties` map of one record, read from the record's exact text, for the objects DuckDB cannot
 * map in bulk (numbers, nested values or repeated keys in them). The contract renders every value that
 * is not a string or null as its JSON text exactly as written, which no JSON parser keeps, so this walks
 * the text itself. The text must be valid JSON (it was validated before it gets here).
 */

/** The map as [key, value] entries in order of first appearance, or null when it has no entries. */
export function propertiesFromText(text: string, fieldName: string): [string, string][] | null {
  const start = skipBlanks(text, 0);
  if (text[start] !== "{") return null;
  let value: number | undefined;
  for (const member of members(text, start)) {
    if (JSON.parse(text.slice(member.keyStart, member.keyEnd)) === fieldName) {
      value = member.valueStart; // the first occurrence counts
      break;
    }
  }
  if (value === undefined || text[value] !== "{") return null;
  const seen = new Set<string>();
  const entries: [string, string][] = [];
  for (const member of members(text, value)) {
    const key = JSON.parse(text.slice(member.keyStart, member.keyEnd)) as string;
    if (seen.has(key)) continue;
    seen.add(key);
    const written = text.slice(member.valueStart, member.valueEnd);
    if (written === "null") continue;
    entries.push([key, written.startsWith('"') ? (JSON.parse(written) as string) : written]);
  }
  return entries.length > 0 ? entries : null;
}

/** The text of a top-level member's value as written (the first occurrence of the key), or undefined. */
export function memberText(text: string, fieldName: string): string | undefined {
  const start = skipBlanks(text, 0);
  if (text[start] !== "{") return undefined;
  for (const member of members(text, start)) {
    if (JSON.parse(text.slice(member.keyStart, member.keyEnd)) === fieldName)
      return text.slice(member.valueStart, member.valueEnd);
  }
  return undefined;
}

interface Member {
  keyStart: number;
  keyEnd: number;
  valueStart: number;
  valueEnd: number;
}

/** The members of the object opening at `open`, with the positions of their key and value texts. */
function* members(text: string, open: number): Generator<Member> {
  let i = skipBlanks(text, open + 1);
  if (text[i] === "}") return;
  for (;;) {
    const keyStart = i;
    const keyEnd = stringEnd(text, keyStart);
    i = skipBlanks(text, keyEnd) + 1; // past the colon
    const valueStart = skipBlanks(text, i);
    const valueEnd = valueEndAt(text, valueStart);
    yield { keyStart, keyEnd, valueStart, valueEnd };
    i = skipBlanks(text, valueEnd);
    if (text[i] !== ",") return;
    i = skipBlanks(text, i + 1);
  }
}

const isBlank = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\n" || c === "\r";

function skipBlanks(text: string, i: number): number {
  while (isBlank(text[i])) i++;
  return i;
}

/** Index just past the string opening at `open`. */
function stringEnd(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    const c = text[i];
    if (c === "\\") i++;
    else if (c === '"') return i + 1;
  }
  throw new Error("unterminated string in validated JSON");
}

/** Index just past the value starting at `start`. */
function valueEndAt(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return stringEnd(text, start);
  if (first === "{" || first === "[") {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const c = text[i];
      if (c === '"') i = stringEnd(text, i) - 1;
      else if (c === "{" || c === "[") depth++;
      else if (c === "}" || c === "]") {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    throw new Error("unbalanced value in validated JSON");
  }
  let i = start;
  while (i < text.length && !isBlank(text[i]) && text[i] !== "," && text[i] !== "}" && text[i] !== "]") i++;
  return i;
}
