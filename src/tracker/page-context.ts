/**
 * The URL parameters removed (case-insensitive) from query and hash before anything is sent, unless the
 * site names its own: email, mail; token and any name ending in it (access_token, id_token, csrf_token…);
 * pass, password, passwd, pwd, secret, auth, api_key, apikey; any name containing "sess" (session,
 * session_id, sessionid, jsessionid, phpsessid…); sid. A pattern rather than a list: smaller in the script.
 */
export const defaultRedactedPattern =
  "e?mail|\\w*token|pass(word|wd)?|pwd|secret|auth|api_?key|\\w*sess\\w*|sid";

/** A pattern matching exactly the given parameter names. */
export const namesPattern = (names: readonly string[]): string =>
  names.map((name) => name.trim().replace(/\W/g, "\\$&")).join("|");

/**
 * A function that removes the parameters whose names match `pattern` (case-insensitive) from a URL's
 * query and hash, leaving the rest of the URL byte for byte (no re-encoding).
 */
export function urlRedactor(pattern: string): (url: string) => string {
  const named = new RegExp(`([?&#])(?:${pattern})=[^&#]*`, "gi");
  return (url) =>
    url
      .replace(named, "$1")
      .replace(/([?&#])&+/g, "$1") // "?&b=2" → "?b=2"
      .replace(/[?&#]+(#|$)/, "$1"); // "?a=1&" → "?a=1", "?#h" → "#h", "x=1#" → "x=1"
}

/** Do Not Track or Global Privacy Control is on. */
export function privacySignal(): boolean {
  const nav = navigator as Navigator & { globalPrivacyControl?: boolean };
  return nav.doNotTrack == "1" || nav.globalPrivacyControl == true;
}
