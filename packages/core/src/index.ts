export * from "./session.ts";
export * from "./tokens.ts";
export * from "./cache-entry.ts";
export * from "./errors.ts";
export * from "./introspection.ts";
export * from "./shapes.ts";
export * from "./username.ts";
export * from "./enrollment-url.ts";
