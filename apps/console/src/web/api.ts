/**
 * The SPA's typed API: the same `@sesame/client` every TypeScript app uses, pointed at the console
 * server (which adds the key), with the console's anti-CSRF header. Types come from the API's
 * `AppRouter`, so a change in a procedure's input or output is a type error here.
 */
import { createSesameClient, type AppRouter } from "@sesame/client";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { CSRF_HEADER, CSRF_HEADER_VALUE } from "../shared/protocol.ts";

export const api = createSesameClient({ url: `${window.location.origin}/console`, headers: { [CSRF_HEADER]: CSRF_HEADER_VALUE } });

export type Inputs = inferRouterInputs<AppRouter>;
export type Outputs = inferRouterOutputs<AppRouter>;

export type User = Outputs["users"]["list"]["objects"][number];
export type UserWithSessions = Outputs["users"]["get"];
export type Session = UserWithSessions["sessions"][number];
export type Receipt = Outputs["users"]["lock"]["revocation"];
export type Tenant = Outputs["tenants"]["get"];
export type ApiKey = Outputs["apiKeys"]["list"][number];
export type AuditEvent = Outputs["events"]["list"]["objects"][number];
export type EnrollmentCode = Outputs["enrollment"]["createToken"];
export type BatchResult = Outputs["batch"]["run"]["results"][number];
export type UsersListInput = NonNullable<Inputs["users"]["list"]>;
export type EventsListInput = NonNullable<Inputs["events"]["list"]>;
