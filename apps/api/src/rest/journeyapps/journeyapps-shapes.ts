/**
 * JourneyApps' Users & Sessions shapes (Backend API v4, "Manage App Users and Sessions"): snake_case
 * views of Sesame's public User and Session, and nothing else. Times are written as JourneyApps
 * writes them, to the second (`2017-08-18T13:33:23Z`).
 */
import { SESSION_STATES, type EnrollmentCode, type Session, type User } from "@sesame/core";
import { z } from "zod";

const time = z.string().meta({ format: "date-time", example: "2017-08-18T13:33:23Z" });
const text = z.string().nullable();

export const journeyAppsSessionSchema = z
  .object({
    id: z.uuid(),
    state: z.enum(SESSION_STATES),
    last_authenticated_at: time.nullable(),
    created_at: time.nullable(),
    signed_out_at: time.nullable(),
    last_connected_at: time.nullable(),
    container: z.object({ version: text, bundle_id: text, platform: text }),
    runtime: z.object({ version: text }),
    device: z.object({ id: text }),
    label: text,
    /** Only once the device has reported a full sync (JourneyApps: containers 4.36.0 and later). */
    sync_status: z.object({ last_full_sync: time }).optional(),
  })
  .meta({ id: "JourneyAppsSession" });
export type JourneyAppsSession = z.infer<typeof journeyAppsSessionSchema>;

export const journeyAppsUserSchema = z
  .object({ id: z.uuid(), last_connected_at: time.nullable(), enrolled: z.boolean(), locked: z.boolean(), sessions: z.array(journeyAppsSessionSchema) })
  .meta({ id: "JourneyAppsUser" });
export type JourneyAppsUser = z.infer<typeof journeyAppsUserSchema>;

export const journeyAppsUsersPageSchema = z
  .object({ total: z.number().int(), count: z.number().int(), more: z.boolean(), objects: z.array(journeyAppsUserSchema) })
  .meta({ id: "JourneyAppsUsersPage" });

export const journeyAppsAuthenticationTokenSchema = z
  .object({ token: z.string(), url: z.string().nullable().meta({ description: "The enrollment link (null until the tenant's enrollmentUrl is set); it never carries the code" }) })
  .meta({ id: "JourneyAppsAuthenticationToken" });

/** `2017-08-18T13:33:23.123Z` → `2017-08-18T13:33:23Z`. */
export const toSeconds = (iso: string) => iso.replace(/\.\d+Z$/, "Z");
const seconds = (iso: string | null) => (iso === null ? null : toSeconds(iso));

export function toJourneyAppsSession(session: Session): JourneyAppsSession {
  const { container, syncStatus } = session;
  return {
    id: session.id,
    state: session.state,
    last_authenticated_at: seconds(session.lastAuthenticatedAt),
    created_at: seconds(session.createdAt),
    signed_out_at: seconds(session.signedOutAt),
    last_connected_at: seconds(session.lastConnectedAt),
    container: { version: container.version, bundle_id: container.bundleId, platform: container.platform },
    runtime: { version: session.runtime.version },
    device: { id: session.device.id },
    label: session.label,
    ...(syncStatus.lastFullSync ? { sync_status: { last_full_sync: toSeconds(syncStatus.lastFullSync) } } : {}),
  };
}

export function toJourneyAppsUser(user: User & { sessions?: Session[] }): JourneyAppsUser {
  return {
    id: user.id,
    last_connected_at: seconds(user.lastConnectedAt),
    enrolled: user.enrolled,
    locked: user.locked,
    sessions: (user.sessions ?? []).map(toJourneyAppsSession),
  };
}

export const toJourneyAppsAuthenticationToken = (code: EnrollmentCode) => ({ token: code.token, url: code.url });
