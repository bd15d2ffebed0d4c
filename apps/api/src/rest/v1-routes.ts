/**
 * The `/v1` resource routes: each one is a tRPC procedure, reached with the same input (path
 * parameters, query string and JSON body merged), the same caller and the same output. The input
 * schemas are the procedures' own (or their query-string form, query.ts); the answers are the
 * procedures' `.output` schemas from @sesame/core.
 */
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import {
  apiKeySchema,
  batchResultsSchema,
  createdApiKeySchema,
  createdTenantSchema,
  deviceReportSchema,
  deviceReportedSchema,
  emailVerificationSentSchema,
  emailVerifiedSchema,
  enrollmentCodeSchema,
  eventsPageSchema,
  meSchema,
  passwordResetRequestedSchema,
  revocationSchema,
  sessionRevocationSchema,
  sessionSchema,
  sessionTokensSchema,
  sessionsRevocationSchema,
  signInResultSchema,
  startedSessionSchema,
  tenantSchema,
  updatedUserSchema,
  userRevocationSchema,
  userSchema,
  userWithSessionsSchema,
  usersPageSchema,
  deletedWebhookSchema,
  webhookDeliveriesPageSchema,
  webhookDeliverySchema,
  webhookSchema,
  webhookWithSecretSchema,
} from "@sesame/core";
import { z } from "zod";
import { createApiKeyInput, revokeApiKeyInput } from "../routers/api-keys.ts";
import { changePasswordInput, enrollInput, loginInput, refreshInput, requestPasswordResetInput, resetPasswordInput, revokeOwnSessionInput, verifyEmailInput } from "../routers/auth.ts";
import { runBatchInput } from "../routers/batch.ts";
import { listEventsFields } from "../routers/events.ts";
import { createSessionInput, deleteAllSessionsInput, sessionByIdInput, sessionGroupsInput, sessionToken } from "../routers/sessions.ts";
import { createTenantInput, updateTenantInput } from "../routers/tenants.ts";
import { createUserInput, listUsersFields, lockUserInput, updateUserInput, userGroupsInput, userRefInput } from "../routers/users.ts";
import { createWebhookInput, listDeliveriesFields, redeliverInput, updateWebhookInput, webhookRef } from "../routers/webhooks.ts";
import type { ApiCaller } from "./caller.ts";
import { answers, jsonBody, securityOf, withQuery, type Caller } from "./openapi-parts.ts";
import { queryOf } from "./query.ts";

export interface RestOperation {
  route: RouteConfig;
  /** The procedure the route calls (its input is validated again there, with the same schema). */
  call: (api: ApiCaller) => (input: never) => Promise<unknown>;
  status: 200 | 201;
}

interface Describe {
  method: "get" | "post" | "patch" | "delete";
  path: string;
  tag: string;
  caller: Caller;
  summary: string;
  description?: string;
  request?: RouteConfig["request"];
  status?: 200 | 201;
  answer: z.ZodType;
}

function operation(d: Describe, call: RestOperation["call"]): RestOperation {
  const status = d.status ?? 200;
  const route = createRoute({
    method: d.method,
    path: d.path,
    tags: [d.tag],
    summary: d.summary,
    ...(d.description ? { description: d.description } : {}),
    security: securityOf(d.caller),
    request: withQuery(d.request),
    responses: answers(status, d.answer, d.summary),
  });
  return { route, call, status };
}

const userPath = userRefInput.pick({ userId: true });
const sessionPath = sessionByIdInput;
const without = <T extends z.ZodObject>(schema: T, ...keys: string[]) => schema.omit(Object.fromEntries(keys.map((k) => [k, true])) as never);

export const v1Operations: RestOperation[] = [
  // Tenants (root key) and the caller's own tenant (API key).
  operation(
    { method: "post", path: "/v1/tenants", tag: "Tenants", caller: "rootKey", summary: "Create a tenant (its first API key is shown once)", request: { body: jsonBody(createTenantInput) }, status: 201, answer: createdTenantSchema },
    (api) => api.tenants.create,
  ),
  operation({ method: "get", path: "/v1/tenants", tag: "Tenants", caller: "rootKey", summary: "List tenants", answer: z.array(tenantSchema) }, (api) => api.tenants.list),
  operation({ method: "get", path: "/v1/tenant", tag: "Tenants", caller: "apiKey", summary: "The API key's tenant", answer: tenantSchema }, (api) => api.tenants.get),
  operation(
    { method: "patch", path: "/v1/tenant", tag: "Tenants", caller: "apiKey", summary: "Change the tenant's name or settings (only those named)", request: { body: jsonBody(updateTenantInput) }, answer: tenantSchema },
    (api) => api.tenants.update,
  ),

  // API keys.
  operation(
    { method: "post", path: "/v1/api-keys", tag: "API keys", caller: "apiKey", summary: "Create an API key (the secret is shown once)", request: { body: jsonBody(createApiKeyInput) }, status: 201, answer: createdApiKeySchema },
    (api) => api.apiKeys.create,
  ),
  operation({ method: "get", path: "/v1/api-keys", tag: "API keys", caller: "apiKey", summary: "List the tenant's API keys", answer: z.array(apiKeySchema) }, (api) => api.apiKeys.list),
  operation(
    { method: "post", path: "/v1/api-keys/{apiKeyId}/revoke", tag: "API keys", caller: "apiKey", summary: "Revoke an API key", request: { params: revokeApiKeyInput }, answer: apiKeySchema },
    (api) => api.apiKeys.revoke,
  ),

  // Users.
  operation(
    { method: "post", path: "/v1/users", tag: "Users", caller: "apiKey", summary: "Create a user", request: { body: jsonBody(createUserInput) }, status: 201, answer: userSchema },
    (api) => api.users.create,
  ),
  operation(
    {
      method: "get",
      path: "/v1/users",
      tag: "Users",
      caller: "apiKey",
      summary: "List users (paged)",
      description: "Search terms are personal data and stay out of URLs: search with `POST /v1/users/search`.",
      request: { query: queryOf(listUsersFields) },
      answer: usersPageSchema,
    },
    (api) => api.users.list,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/search",
      tag: "Users",
      caller: "apiKey",
      summary: "Search users by username, email or name (paged)",
      request: { body: jsonBody(z.object({ ...listUsersFields, query: z.string().trim().min(1).max(200).optional() }).strict()) },
      answer: usersPageSchema,
    },
    (api) => api.users.list,
  ),
  operation(
    { method: "get", path: "/v1/users/{userId}", tag: "Users", caller: "apiKey", summary: "A user with its sessions", request: { params: userPath }, answer: userWithSessionsSchema },
    (api) => api.users.get,
  ),
  operation(
    {
      method: "patch",
      path: "/v1/users/{userId}",
      tag: "Users",
      caller: "apiKey",
      summary: "Change a user (setting a password signs out every session)",
      request: { params: userPath, body: jsonBody(without(updateUserInput, "userId")) },
      answer: updatedUserSchema,
    },
    (api) => api.users.update,
  ),
  operation(
    { method: "delete", path: "/v1/users/{userId}", tag: "Users", caller: "apiKey", summary: "Delete a user (every session → RESET)", request: { params: userPath }, answer: userRevocationSchema },
    (api) => api.users.delete,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/lock",
      tag: "Users",
      caller: "apiKey",
      summary: "Lock a user: sessions → LOCKED, or RESET with `wipe: true`",
      request: { params: userPath, body: jsonBody(without(lockUserInput, "userId")) },
      answer: userRevocationSchema,
    },
    (api) => api.users.lock,
  ),
  operation(
    { method: "post", path: "/v1/users/{userId}/unlock", tag: "Users", caller: "apiKey", summary: "Unlock a user (old sessions stay signed out)", request: { params: userPath }, answer: userSchema },
    (api) => api.users.unlock,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/groups/add",
      tag: "Users",
      caller: "apiKey",
      summary: "Add to the user's default groups",
      request: { params: userPath, body: jsonBody(without(userGroupsInput, "userId")) },
      answer: userSchema,
    },
    (api) => api.users.addToGroups,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/groups/remove",
      tag: "Users",
      caller: "apiKey",
      summary: "Remove from the user's default groups",
      request: { params: userPath, body: jsonBody(without(userGroupsInput, "userId")) },
      answer: userSchema,
    },
    (api) => api.users.removeFromGroups,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/enrollment-tokens",
      tag: "Users",
      caller: "apiKey",
      summary: "Create a one-time enrollment code (8 digits, 5 minutes)",
      request: { params: userPath },
      status: 201,
      answer: enrollmentCodeSchema,
    },
    (api) => api.enrollment.createToken,
  ),
  operation(
    { method: "post", path: "/v1/users/{userId}/email-verification", tag: "Users", caller: "apiKey", summary: "Mail the user a link that verifies their email address", request: { params: userPath }, answer: emailVerificationSentSchema },
    (api) => api.users.sendEmailVerification,
  ),

  // Sessions of a user.
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/sessions",
      tag: "Sessions",
      caller: "apiKey",
      summary: "Start a session for a user (on a trusted backend's behalf)",
      request: { params: userPath, body: jsonBody(without(createSessionInput, "userId")) },
      status: 201,
      answer: startedSessionSchema,
    },
    (api) => api.sessions.create,
  ),
  operation(
    {
      method: "get",
      path: "/v1/users/{userId}/sessions",
      tag: "Sessions",
      caller: "apiKey",
      summary: "A user's active sessions (`includeInactive=true` adds signed-out ones)",
      request: { params: userPath, query: queryOf({ includeInactive: z.boolean().optional() }) },
      answer: z.array(sessionSchema),
    },
    (api) => api.sessions.list,
  ),
  operation(
    {
      method: "delete",
      path: "/v1/users/{userId}/sessions",
      tag: "Sessions",
      caller: "apiKey",
      summary: "Delete every session of a user (but `exceptSessionId`)",
      request: { params: userPath, query: queryOf(without(deleteAllSessionsInput, "userId").shape) },
      answer: revocationSchema,
    },
    (api) => api.sessions.deleteAll,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/sessions/lookup",
      tag: "Sessions",
      caller: "apiKey",
      summary: "Find a session by an access or refresh token it issued",
      description: "Tokens never travel in URLs, so this is a POST.",
      request: { params: userPath, body: jsonBody(z.object({ token: sessionToken }).strict()) },
      answer: sessionSchema,
    },
    (api) => api.sessions.get,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/sessions/delete-by-token",
      tag: "Sessions",
      caller: "apiKey",
      summary: "Delete the session that issued an access or refresh token",
      request: { params: userPath, body: jsonBody(z.object({ token: sessionToken }).strict()) },
      answer: sessionRevocationSchema,
    },
    (api) => api.sessions.delete,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/sessions/access-groups/add",
      tag: "Sessions",
      caller: "apiKey",
      summary: "Add access groups to every active session of the user",
      request: { params: userPath, body: jsonBody(without(sessionGroupsInput, "userId")) },
      answer: sessionsRevocationSchema,
    },
    (api) => api.sessions.addAccessGroups,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/sessions/access-groups/remove",
      tag: "Sessions",
      caller: "apiKey",
      summary: "Remove access groups from every active session of the user",
      request: { params: userPath, body: jsonBody(without(sessionGroupsInput, "userId")) },
      answer: sessionsRevocationSchema,
    },
    (api) => api.sessions.removeAccessGroups,
  ),
  operation(
    { method: "get", path: "/v1/users/{userId}/sessions/{sessionId}", tag: "Sessions", caller: "apiKey", summary: "A session (with the provider's tokens)", request: { params: sessionPath }, answer: sessionSchema },
    (api) => api.sessions.get,
  ),
  operation(
    { method: "delete", path: "/v1/users/{userId}/sessions/{sessionId}", tag: "Sessions", caller: "apiKey", summary: "Delete a session", request: { params: sessionPath }, answer: sessionRevocationSchema },
    (api) => api.sessions.delete,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/sessions/{sessionId}/wipe",
      tag: "Sessions",
      caller: "apiKey",
      summary: "Wipe a session (→ RESET: the device deletes its data)",
      request: { params: sessionPath },
      answer: sessionRevocationSchema,
    },
    (api) => api.sessions.wipe,
  ),
  operation(
    {
      method: "post",
      path: "/v1/users/{userId}/sessions/{sessionId}/reauthenticate",
      tag: "Sessions",
      caller: "apiKey",
      summary: "Make a session sign in again (→ LOCKED, data kept)",
      request: { params: sessionPath },
      answer: sessionRevocationSchema,
    },
    (api) => api.sessions.reauthenticate,
  ),

  // Batch and audit.
  operation(
    {
      method: "post",
      path: "/v1/batch",
      tag: "Batch",
      caller: "apiKey",
      summary: "Run JourneyApps-style operations, with a result per operation",
      request: { body: jsonBody(runBatchInput) },
      answer: batchResultsSchema,
    },
    (api) => api.batch.run,
  ),
  operation(
    { method: "get", path: "/v1/events", tag: "Events", caller: "apiKey", summary: "The audit log, newest first", request: { query: queryOf(listEventsFields) }, answer: eventsPageSchema },
    (api) => api.events.list,
  ),

  // Webhooks (README "Webhooks").
  operation(
    { method: "post", path: "/v1/webhooks", tag: "Webhooks", caller: "apiKey", summary: "Add a webhook endpoint (the signing secret is shown once)", request: { body: jsonBody(createWebhookInput) }, status: 201, answer: webhookWithSecretSchema },
    (api) => api.webhooks.create,
  ),
  operation({ method: "get", path: "/v1/webhooks", tag: "Webhooks", caller: "apiKey", summary: "List the tenant's webhook endpoints", answer: z.array(webhookSchema) }, (api) => api.webhooks.list),
  operation(
    { method: "patch", path: "/v1/webhooks/{webhookId}", tag: "Webhooks", caller: "apiKey", summary: "Change an endpoint's url, events, description or enabled (only those named)", request: { params: webhookRef, body: jsonBody(without(updateWebhookInput, "webhookId")) }, answer: webhookSchema },
    (api) => api.webhooks.update,
  ),
  operation(
    { method: "delete", path: "/v1/webhooks/{webhookId}", tag: "Webhooks", caller: "apiKey", summary: "Delete an endpoint and its queued deliveries", request: { params: webhookRef }, answer: deletedWebhookSchema },
    (api) => api.webhooks.delete,
  ),
  operation(
    { method: "post", path: "/v1/webhooks/{webhookId}/rotate-secret", tag: "Webhooks", caller: "apiKey", summary: "A new signing secret; the old one keeps signing for 24 hours", request: { params: webhookRef }, answer: webhookWithSecretSchema },
    (api) => api.webhooks.rotateSecret,
  ),
  operation(
    { method: "post", path: "/v1/webhooks/{webhookId}/test", tag: "Webhooks", caller: "apiKey", summary: "Queue a webhook.ping to the endpoint", request: { params: webhookRef }, answer: webhookDeliverySchema },
    (api) => api.webhooks.test,
  ),
  operation(
    {
      method: "get",
      path: "/v1/webhooks/{endpointId}/deliveries",
      tag: "Webhooks",
      caller: "apiKey",
      summary: "An endpoint's delivery log, newest first",
      request: { params: z.object({ endpointId: webhookRef.shape.webhookId }).strict(), query: queryOf(listDeliveriesFields) },
      answer: webhookDeliveriesPageSchema,
    },
    (api) => api.webhooks.deliveries,
  ),
  operation(
    { method: "post", path: "/v1/webhook-deliveries/{deliveryId}/redeliver", tag: "Webhooks", caller: "apiKey", summary: "Queue a delivery's event again (same webhook-id)", request: { params: redeliverInput }, answer: webhookDeliverySchema },
    (api) => api.webhooks.redeliver,
  ),

  // Signing in (public) and the signed-in user's own account.
  operation(
    { method: "post", path: "/v1/auth/login", tag: "Auth", caller: "public", summary: "Sign in with a password (a second-factor challenge instead of tokens when one is due)", request: { body: jsonBody(loginInput) }, answer: signInResultSchema },
    (api) => api.auth.login,
  ),
  operation(
    { method: "post", path: "/v1/auth/enroll", tag: "Auth", caller: "public", summary: "Redeem an enrollment code", request: { body: jsonBody(enrollInput) }, answer: sessionTokensSchema },
    (api) => api.auth.enroll,
  ),
  operation(
    { method: "post", path: "/v1/auth/refresh", tag: "Auth", caller: "public", summary: "Exchange a refresh token for new tokens", request: { body: jsonBody(refreshInput) }, answer: sessionTokensSchema },
    (api) => api.auth.refresh,
  ),
  operation({ method: "get", path: "/v1/auth/me", tag: "Auth", caller: "accessToken", summary: "The signed-in user and session", answer: meSchema }, (api) => api.auth.me),
  operation(
    {
      method: "get",
      path: "/v1/auth/sessions",
      tag: "Auth",
      caller: "accessToken",
      summary: "The user's own sessions (`includeInactive=true` adds signed-out ones)",
      request: { query: queryOf({ includeInactive: z.boolean().optional() }) },
      answer: z.array(sessionSchema),
    },
    (api) => api.auth.sessions,
  ),
  operation(
    {
      method: "post",
      path: "/v1/auth/sessions/{sessionId}/revoke",
      tag: "Auth",
      caller: "accessToken",
      summary: "Sign out one of the user's own sessions",
      request: { params: revokeOwnSessionInput },
      answer: sessionRevocationSchema,
    },
    (api) => api.auth.revokeSession,
  ),
  operation(
    { method: "post", path: "/v1/auth/sessions/revoke-others", tag: "Auth", caller: "accessToken", summary: "Sign out every other session of the user", answer: revocationSchema },
    (api) => api.auth.revokeOtherSessions,
  ),
  operation({ method: "post", path: "/v1/auth/logout", tag: "Auth", caller: "accessToken", summary: "Sign out this session", answer: revocationSchema }, (api) => api.auth.logout),
  operation(
    {
      method: "post",
      path: "/v1/auth/change-password",
      tag: "Auth",
      caller: "accessToken",
      summary: "Change the password (signs out the user's other sessions)",
      request: { body: jsonBody(changePasswordInput) },
      answer: revocationSchema,
    },
    (api) => api.auth.changePassword,
  ),
  operation(
    {
      method: "post",
      path: "/v1/auth/password-reset/request",
      tag: "Auth",
      caller: "public",
      summary: "Ask for a password reset link by email (the same answer whether or not the account exists)",
      request: { body: jsonBody(requestPasswordResetInput) },
      answer: passwordResetRequestedSchema,
    },
    (api) => api.auth.requestPasswordReset,
  ),
  operation(
    { method: "post", path: "/v1/auth/password-reset", tag: "Auth", caller: "public", summary: "Set a new password with the link's token (signs out every session)", request: { body: jsonBody(resetPasswordInput) }, answer: revocationSchema },
    (api) => api.auth.resetPassword,
  ),
  operation(
    { method: "post", path: "/v1/auth/verify-email", tag: "Auth", caller: "public", summary: "Verify an email address with the link's token", request: { body: jsonBody(verifyEmailInput) }, answer: emailVerifiedSchema },
    (api) => api.auth.verifyEmail,
  ),
  operation(
    { method: "post", path: "/v1/auth/email-verification", tag: "Auth", caller: "accessToken", summary: "Mail a verification link to the caller's own address", answer: emailVerificationSentSchema },
    (api) => api.auth.requestEmailVerification,
  ),
  operation(
    {
      method: "post",
      path: "/v1/auth/device",
      tag: "Auth",
      caller: "accessToken",
      summary: "Report the device's container, runtime, id, label and last full sync (marks the session connected)",
      request: { body: jsonBody(deviceReportSchema) },
      answer: deviceReportedSchema,
    },
    (api) => api.auth.reportDevice,
  ),
];
