/**
 * Postgres text cannot hold U+0000 (it fails with a data exception), and a NUL that reaches a C
 * string elsewhere truncates it. Inputs are refused before anything reads them; text Sesame only
 * keeps a record of (a webhook receiver's answer) is made storable instead (`storableText`).
 */

/**
 * The dotted path (as zod names fields, e.g. `client.device.id`, `operations.1.params`) of the first
 * string holding a NUL character, or of the object with such a key; `""` for a bare string input;
 * `null` when there is none. Iterative, so a deeply nested body cannot overflow the stack.
 */
export function findNulCharacter(input: unknown): string | null {
  const pending: [unknown, string][] = [[input, ""]];
  while (pending.length > 0) {
    const [value, path] = pending.pop()!;
    if (typeof value === "string") {
      if (value.includes("\u0000")) return path;
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push([value[i], join(path, String(i))]);
    } else if (value !== null && typeof value === "object") {
      const entries = Object.entries(value);
      if (entries.some(([key]) => key.includes("\u0000"))) return path;
      for (let i = entries.length - 1; i >= 0; i--) pending.push([entries[i]![1], join(path, entries[i]![0])]);
    }
  }
  return null;
}

const join = (path: string, key: string) => (path === "" ? key : `${path}.${key}`);

/**
 * `text` as Postgres can store it, cut to at most `maxChars` UTF-16 units: each U+0000 becomes
 * U+FFFD (as undecodable bytes already do), and a cut never leaves half a surrogate pair behind.
 */
export function storableText(text: string, maxChars: number): string {
  let end = Math.min(text.length, maxChars);
  const last = text.charCodeAt(end - 1);
  if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
  return text.slice(0, end).replaceAll("\u0000", "\uFFFD");
}
