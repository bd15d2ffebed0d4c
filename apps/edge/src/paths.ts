/**
 * Path patterns for public paths and per-path groups: `/status` (exact) or `/public/*` (the
 * prefix itself and everything under it).
 *
 * Requests are matched on two spellings of their path, the raw one and the canonical one (percent-
 * decoded, `\` as `/`, dot segments resolved), because the upstream may decode what we forward:
 * `/public/..%2Fadmin` must not count as public when the upstream serves it as `/admin`.
 */

export interface PathPattern {
  source: string;
  exact: string;
  prefix: boolean;
}

/** Throws on a pattern that does not start with `/` or has a `*` anywhere but a final `/*`. */
export function compilePathPattern(source: string): PathPattern {
  if (!source.startsWith("/")) throw new Error(`path pattern "${source}" must start with "/"`);
  const prefix = source.endsWith("/*");
  const exact = prefix ? source.slice(0, -2) || "/" : source;
  if (exact.includes("*")) throw new Error(`path pattern "${source}": "*" is only allowed as a final "/*"`);
  return { source, exact, prefix };
}

function matchesOne(pattern: PathPattern, path: string, caseInsensitive: boolean): boolean {
  const exact = caseInsensitive ? pattern.exact.toLowerCase() : pattern.exact;
  const candidate = caseInsensitive ? path.toLowerCase() : path;
  if (candidate === exact) return true;
  if (!pattern.prefix) return false;
  return exact === "/" || candidate.startsWith(`${exact}/`);
}

/** The path as an upstream that decodes and normalises it would see it; null when undecodable. */
export function canonicalPath(path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  const segments: string[] = [];
  for (const segment of decoded.replaceAll("\\", "/").split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  const trailing = decoded.endsWith("/") && segments.length > 0 ? "/" : "";
  return `/${segments.join("/")}${trailing}`;
}

/** Public only when both spellings are public (case-sensitively): the strict direction. */
export function isPublicPath(patterns: readonly PathPattern[], path: string): boolean {
  if (patterns.length === 0) return false;
  const canonical = canonicalPath(path);
  if (canonical === null) return false;
  return patterns.some((p) => matchesOne(p, path, false)) && patterns.some((p) => matchesOne(p, canonical, false));
}

/** Groups required by every rule either spelling matches, case-insensitively: the strict direction. */
export function requiredGroupsFor(rules: readonly { pattern: PathPattern; groups: readonly string[] }[], path: string): string[] {
  if (rules.length === 0) return [];
  const canonical = canonicalPath(path) ?? path;
  const required = new Set<string>();
  for (const rule of rules) {
    if (matchesOne(rule.pattern, path, true) || matchesOne(rule.pattern, canonical, true)) {
      for (const group of rule.groups) required.add(group);
    }
  }
  return [...required];
}
