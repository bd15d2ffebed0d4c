/**
 * `@sesame/service-kit`: what every Sesame service shares at startup. This entry runs anywhere
 * (environment rules); `@sesame/service-kit/node` adds the Node listener.
 */
export { ConfigError, httpUrlSchema, nodeEnvSchema, optionalPortSchema, parseEnv, secretSchema, type EnvRules } from "./env.ts";
export { redactUrl } from "./redact-url.ts";
export { requestLog, type RequestLogLine } from "./request-log.ts";
