/**
 * Request paths, normalised once: public paths and route groups are matched against the normalised
 * path, and exactly that path (re-encoded) is what the upstream receives. Nothing the edge checked
 * can be read differently further on.
 *
 * Refused (400) rather than guessed at: `;` path parameters (`/public/..;/admin` is `/admin` to a
 * Java upstream), encoded separators `%2F` `%5C`, encoded or raw NUL and control characters, `%25`
 * (a second decoding upstream would see another path), and escapes that do not decode to UTF-8.
 *
 * Patterns: `/status` (exact) or `/public/*` (the prefix itself and everything under it). A route
 * group rule may name one method first (`POST /orders/*`); without one it applies to every method.
 */

export interface PathPattern {
  source: string;
  exact: string;
  prefix: boolean;
}

export type NormalizedPath =
  /** `path` decoded (what patterns match), `encoded` the same path as forwarded. */
  | { ok: true; path: string; encoded: string }
  | { ok: false; problem: string };

/** Throws on a pattern that does not start with `/` or has a `*` anywhere but a final `/*`. */
export function compilePathPattern(source: string): PathPattern {
  if (!source.startsWith("/")) throw new Error(`path pattern "${source}" must start with "/"`);
  const prefix = source.endsWith("/*");
  const exact = prefix ? source.slice(0, -2) || "/" : source;
  if (exact.includes("*")) throw new Error(`path pattern "${source}": "*" is only allowed as a final "/*"`);
  return { source, exact, prefix };
}

export interface RouteGroupRule {
  source: string;
  pattern: PathPattern;
  /** Upper case; null for every method. */
  method: string | null;
  groups: readonly string[];
}

/** RFC 9110 §9.1 method token. */
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Reads a method as a rule or a request states it: a token, in upper case; null when it is not one. */
export function normalizeMethod(method: string): string | null {
  return METHOD_TOKEN.test(method) ? method.toUpperCase() : null;
}

/**
 * `"/admin/*"` (any method) or `"DELETE /users/*"` (that method only). Throws like compilePathPattern.
 *
 * @example
 * compileRouteGroupRule("POST /orders/*", ["sales"]) // { method: "POST", pattern: { exact: "/orders", prefix: true, … }, … }
 */
export function compileRouteGroupRule(source: string, groups: readonly string[]): RouteGroupRule {
  const space = source.indexOf(" ");
  if (space === -1) return { source, pattern: compilePathPattern(source), method: null, groups };
  const method = normalizeMethod(source.slice(0, space));
  if (!method) throw new Error(`route pattern "${source}": "${source.slice(0, space)}" is not an HTTP method`);
  return { source, pattern: compilePathPattern(source.slice(space + 1).trim()), method, groups };
}

const ENCODED_HAZARD = /%(?:2f|5c|00|25)/i;
const MALFORMED_ESCAPE = /%(?![0-9a-f]{2})/i;
// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * A path that normalisation leaves as it is: segments that are not empty, do not start with a dot
 * (so none is `.` or `..`), and hold only characters `encodePathSegment` keeps (so no `%`, `;`,
 * `\`, or control character), then at most a trailing `/`.
 */
const CANONICAL_PATH = /^(?:\/[\w\-!~*'():@$&+,=][\w\-.!~*'():@$&+,=]*)*\/?$/;

/**
 * Decodes percent-escapes, resolves `.` and `..` (never above the root) and collapses repeated
 * slashes. Takes the path as the URL parser left it (`new URL(request.url).pathname`).
 *
 * @example
 * normalizeRequestPath("/a//b/./c/../d%20e") // { ok: true, path: "/a/b/d e", encoded: "/a/b/d%20e" }
 * normalizeRequestPath("/public/..;/admin")  // { ok: false, problem: "…" }
 */
export function normalizeRequestPath(pathname: string): NormalizedPath {
  // Most paths are already canonical: the result would be the path itself.
  if (pathname !== "" && CANONICAL_PATH.test(pathname)) return { ok: true, path: pathname, encoded: pathname };
  if (!pathname.startsWith("/")) return { ok: false, problem: "The path must start with /" };
  if (pathname.includes(";")) return { ok: false, problem: "Path parameters (;) are not accepted" };
  if (ENCODED_HAZARD.test(pathname)) return { ok: false, problem: "Encoded /, \\, NUL or % are not accepted in the path" };
  if (MALFORMED_ESCAPE.test(pathname)) return { ok: false, problem: "The path has a malformed percent-escape" };
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { ok: false, problem: "The path does not decode to UTF-8" };
  }
  if (CONTROL_CHARACTER.test(decoded)) return { ok: false, problem: "Control characters are not accepted in the path" };
  if (decoded.includes("\\")) return { ok: false, problem: "Backslashes are not accepted in the path" };

  const raw = decoded.split("/");
  const segments: string[] = [];
  for (const segment of raw) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const last = raw.at(-1);
  const trailing = segments.length > 0 && (last === "" || last === "." || last === "..") ? "/" : "";
  return {
    ok: true,
    path: `/${segments.join("/")}${trailing}`,
    encoded: `/${segments.map(encodePathSegment).join("/")}${trailing}`,
  };
}

/** RFC 3986 pchar stays as it is; everything else is percent-encoded (UTF-8). */
function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/%(?:3A|40|24|26|2B|2C|3D)/g, (escape) => decodeURIComponent(escape));
}

function matchesOne(pattern: PathPattern, path: string, caseInsensitive: boolean): boolean {
  const exact = caseInsensitive ? pattern.exact.toLowerCase() : pattern.exact;
  const candidate = caseInsensitive ? path.toLowerCase() : path;
  if (candidate === exact) return true;
  if (!pattern.prefix) return false;
  return exact === "/" || candidate.startsWith(`${exact}/`);
}

/** Public only with the exact letter case: a case-folding upstream must not widen what is public. */
export function isPublicPath(patterns: readonly PathPattern[], normalizedPath: string): boolean {
  return patterns.some((p) => matchesOne(p, normalizedPath, false));
}

/**
 * Groups required by every rule the request matches, the path in any letter case (a case-folding
 * upstream cannot dodge one); `method` as normalizeMethod gives it.
 */
export function requiredGroupsFor(rules: readonly RouteGroupRule[], normalizedPath: string, method: string): string[] {
  const required = new Set<string>();
  for (const rule of rules) {
    if ((rule.method === null || rule.method === method) && matchesOne(rule.pattern, normalizedPath, true)) {
      for (const group of rule.groups) required.add(group);
    }
  }
  return [...required];
}
