/**
 * Usernames: one normal form for uniqueness and sign-in, and the rules a new username must meet.
 *
 * Modelled on PRECIS UsernameCaseMapped (RFC 8265) without a library (none is maintained on npm):
 * - mapping: NFKC (it includes the profile's width mapping: fullwidth `ａｄｍｉｎ` is `admin`, and it
 *   composes decomposed accents), then case folding, then NFKC again;
 * - the IdentifierClass: letters, combining marks, decimal digits and printable ASCII; never spaces,
 *   control, format (zero-width and bidi controls), private-use, unassigned or default-ignorable
 *   code points, nor symbols and punctuation outside ASCII;
 * - in place of the Bidi Rule and of confusable detection: no mixing of scripts (UTS #39 "highly
 *   restrictive": one script, or Latin with Han and Japanese kana, Bopomofo or Hangul), and only
 *   the scripts UAX #31 recommends for identifiers, so a Cyrillic `а` cannot pose inside `admin`.
 * Plus Sesame's own rule: no `@`, so a username can never be read as (or win over) an email.
 */

/** UAX #31 Table 4, recommended scripts (Common and Inherited are neutral and checked apart). */
const RECOMMENDED_SCRIPTS = [
  "Arab", "Armn", "Beng", "Bopo", "Cyrl", "Deva", "Ethi", "Geor", "Grek", "Gujr", "Guru", "Hang", "Hani", "Hebr", "Hira",
  "Knda", "Kana", "Khmr", "Laoo", "Latn", "Mlym", "Mymr", "Orya", "Sinh", "Taml", "Telu", "Thaa", "Thai", "Tibt",
] as const;
const SCRIPT_TESTS = RECOMMENDED_SCRIPTS.map((script) => [script, new RegExp(`\\p{scx=${script}}`, "u")] as const);
/** UTS #39 §5.2: the multi-script combinations a highly restrictive identifier may use. */
const ALLOWED_SCRIPT_MIXES: readonly (readonly string[])[] = [
  ["Latn", "Hani", "Hira", "Kana"],
  ["Latn", "Hani", "Bopo"],
  ["Latn", "Hani", "Hang"],
];

const NEUTRAL = /^[\p{scx=Zyyy}\p{scx=Zinh}]$/u;
const INVISIBLE_OR_CONTROL = /[\s\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}\p{Default_Ignorable_Code_Point}]/u;
const PRINTABLE_ASCII = /^[\x21-\x7e]$/;
const LETTER_MARK_DIGIT = /^[\p{L}\p{M}\p{Nd}]$/u;

export const USERNAME_MAX_LENGTH = 200;

export interface NormalizedUsername {
  /** What is stored and shown: width-mapped and composed (NFKC), case kept. */
  display: string;
  /** What uniqueness and sign-in compare: the display form case-folded. */
  key: string;
}

/**
 * The one normal form of a username. Case folding is approximated by upper- then lower-casing,
 * which also folds `ß` to `ss` and final sigma to `σ` (plain lower-casing does not); it merges
 * dotless `ı` with `i` too, which only makes look-alikes collide.
 */
export function normalizeUsername(input: string): NormalizedUsername {
  const display = input.normalize("NFKC");
  return { display, key: display.toUpperCase().toLowerCase().normalize("NFKC") };
}

/** The comparison key alone: `normalizeUsername(x).key`. */
export const usernameKey = (input: string): string => normalizeUsername(input).key;

/** Why `display` (a `normalizeUsername` display form) is not a valid username, or null. */
export function usernameProblem(display: string): string | null {
  if (display.length === 0) return "must not be empty";
  if (display.length > USERNAME_MAX_LENGTH) return `must be at most ${USERNAME_MAX_LENGTH} characters`;
  const scriptSets: string[][] = [];
  for (const ch of display) {
    if (ch === "@") return "must not contain @ (usernames and email addresses are kept apart)";
    if (INVISIBLE_OR_CONTROL.test(ch)) return "must not contain spaces, control, format or invisible characters";
    if (PRINTABLE_ASCII.test(ch)) {
      if (/[A-Za-z]/.test(ch)) scriptSets.push(["Latn"]);
      continue;
    }
    if (!LETTER_MARK_DIGIT.test(ch)) return "may contain letters, digits, combining marks and ASCII punctuation only";
    if (NEUTRAL.test(ch)) continue;
    const scripts = SCRIPT_TESTS.filter(([, test]) => test.test(ch)).map(([script]) => script);
    if (scripts.length === 0) return `must not contain ${JSON.stringify(ch)}: its script is not one recommended for identifiers`;
    scriptSets.push(scripts);
  }
  if (/^\p{M}/u.test(display)) return "must not start with a combining mark";
  if (!isSingleOrAllowedMix(scriptSets)) return "must not mix scripts (such as Latin with Cyrillic or Greek look-alikes)";
  return null;
}

function isSingleOrAllowedMix(scriptSets: string[][]): boolean {
  const [first, ...rest] = scriptSets;
  if (!first) return true;
  if (first.some((script) => rest.every((set) => set.includes(script)))) return true;
  return ALLOWED_SCRIPT_MIXES.some((mix) => scriptSets.every((set) => set.some((script) => mix.includes(script))));
}
