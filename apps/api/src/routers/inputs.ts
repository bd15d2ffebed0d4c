/** Input pieces shared by routers, so a field is validated (and named) the same way everywhere. */
import { TENANT_CODE_PATTERN, tenantSettingsSchema } from "@sesame/core";
import { z } from "zod";
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "../services/passwords.ts";

export const uuid = z.uuid({ error: "must be a UUID" });
export const tenantCode = z.string().regex(TENANT_CODE_PATTERN, "must be 2–16 characters of A–Z and 0–9");
export const tenantSettingsPatch = tenantSettingsSchema.partial().strict();
export const groupName = z.string().trim().min(1).max(100).regex(/^[^\s,]+$/, "must not contain spaces or commas");
export const groupList = z.array(groupName).max(100);

/** One group or several: `"sales"` and `["sales", "ops"]` mean the same to the group procedures. */
export const groupsInput = z.union([groupName.transform((g) => [g]), groupList.min(1, "must name at least one group")]);

/** Usernames keep their case for display; uniqueness is case-insensitive (see users_tenant_username_idx). */
export const username = z.string().trim().min(1, "must not be empty").max(200).regex(/^\S+$/, "must not contain spaces");
/** Stored lower-case, so the unique index on (tenant_id, email) is case-insensitive too. */
export const email = z.string().trim().max(254).toLowerCase().pipe(z.email({ error: "must be an email address" }));
export const password = z
  .string()
  .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
  .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`);
export const personName = z.string().trim().max(200);
const MAX_JSON_OBJECT_CHARS = 64 * 1024;
export const jsonObject = z
  .record(z.string(), z.json())
  .refine((v) => JSON.stringify(v).length <= MAX_JSON_OBJECT_CHARS, "must be at most 64 KiB as JSON");
export const userStatus = z.enum(["pendingJoin", "active"]);
export const pageLimit = (max: number) => z.number().int().min(1).max(max);
