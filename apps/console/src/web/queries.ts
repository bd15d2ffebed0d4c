/**
 * The reads, as TanStack Query options over the plain tRPC client (`queryOptions` by hand, since
 * @trpc/tanstack-react-query pins an older @trpc/server than the API's). Keys start with the
 * procedure's namespace, so a mutation invalidates a whole area with one prefix.
 */
import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, type EventsListInput, type UsersListInput } from "./api.ts";

export const usersListQuery = (input: UsersListInput) =>
  queryOptions({
    queryKey: ["users", "list", input],
    queryFn: ({ signal }) => api.users.list.query(input, { signal }),
    // The previous page stays on screen while the next loads: no jump, no flash.
    placeholderData: keepPreviousData,
  });

export const userQuery = (userId: string) =>
  queryOptions({ queryKey: ["users", "get", userId], queryFn: ({ signal }) => api.users.get.query({ userId }, { signal }) });

export const tenantQuery = queryOptions({ queryKey: ["tenants", "get"], queryFn: ({ signal }) => api.tenants.get.query(undefined, { signal }) });

export const tenantsListQuery = queryOptions({ queryKey: ["tenants", "list"], queryFn: ({ signal }) => api.tenants.list.query(undefined, { signal }) });

export const apiKeysQuery = queryOptions({ queryKey: ["apiKeys", "list"], queryFn: ({ signal }) => api.apiKeys.list.query(undefined, { signal }) });

export const eventsQuery = (input: EventsListInput) =>
  queryOptions({
    queryKey: ["events", "list", input],
    queryFn: ({ signal }) => api.events.list.query(input, { signal }),
    placeholderData: keepPreviousData,
  });
