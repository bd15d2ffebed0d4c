/** Input pieces shared by routers, so a field is validated (and named) the same way everywhere. */
import { TENANT_CODE_PATTERN, tenantSettingsSchema } from "@sesame/core";
import { z } from "zod";

export const uuid = z.uuid({ error: "must be a UUID" });
export const tenantCode = z.string().regex(TENANT_CODE_PATTERN, "must be 2–16 characters of A–Z and 0–9");
export const tenantSettingsPatch = tenantSettingsSchema.partial().strict();
export const groupName = z.string().trim().min(1).max(100).regex(/^[^\s,]+$/, "must not contain spaces or commas");
export const groupList = z.array(groupName).max(100);
