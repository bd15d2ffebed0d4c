/** Input pieces shared by routers, so a field is validated (and named) the same way everywhere. */
import { TENANT_CODE_PATTERN, normalizeUsername, tenantSettingsSchema, usernameProblem } from "@sesame/core";
import { z } from "zod";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../lib/passwords.ts";

export const uuid = z.uuid({ error: "must be a UUID" });
export const tenantCode = z.string().regex(TENANT_CODE_PATTERN, "must be 2–16 characters of A–Z and 0–9");

type Patch<S extends z.ZodRawShape> = { [K in keyof S]: z.ZodOptional<S[K] extends z.ZodDefault<infer Inner> ? Inner : S[K]> };
/**
 * Every field optional and without its default: a key left out stays as it is (`.partial()` would
 * keep the defaults and so reset every setting not named).
 */
function patchOf<S extends z.ZodRawShape>(schema: z.ZodObject<S>) {
  const shape = Object.fromEntries(
    Object.entries(schema.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? (field.unwrap() as z.ZodType) : (field as z.ZodType)).optional()]),
  ) as unknown as Patch<S>;
  return z.object(shape).strict();
}
export const tenantSettingsPatch = patchOf(tenantSettingsSchema);

/**
 * Group names travel in the edge's `x-sesame-groups` header (comma-separated) and in tokens: ASCII
 * letters and digits first, then letters, digits and `. _ : -`, at most 100 characters.
 */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;
const groupName = z
  .string()
  .trim()
  .regex(GROUP_NAME_PATTERN, "must be 1–100 characters: ASCII letters and digits, then also . _ : - (no spaces, commas or other characters)");
export const groupList = z.array(groupName).max(100);

/** One group or several: `"sales"` and `["sales", "ops"]` mean the same to the group procedures. */
export const groupsInput = z.union([groupName.transform((g) => [g]), groupList.min(1, "must name at least one group")]);

/**
 * A username as stored: its NFKC display form, once it meets the rules of @sesame/core
 * `usernameProblem` (no @, no invisible or control characters, one script). Uniqueness and sign-in
 * compare `usernameKey` of it.
 */
export const username = z
  .string()
  .trim()
  .max(400)
  .transform((raw, ctx) => {
    const { display } = normalizeUsername(raw);
    const problem = usernameProblem(display);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
    return display;
  });
/** Stored lower-case, so the unique index on (tenant_id, email) is case-insensitive too. */
export const email = z.string().trim().max(254).toLowerCase().pipe(z.email({ error: "must be an email address" }));
export const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);
export const personName = z.string().trim().max(200);
const MAX_JSON_OBJECT_CHARS = 64 * 1024;
export const jsonObject = z
  .record(z.string(), z.unknown())
  .refine((v) => JSON.stringify(v).length <= MAX_JSON_OBJECT_CHARS, "must be at most 64 KiB as JSON");
export const userStatus = z.enum(["pendingJoin", "active"]);
export const pageLimit = (max: number) => z.number().int().min(1).max(max);
