/** `@sesame/service-kit/node`: the Node side (listening on a port, starting a process, logging). */
export { formatUrlHost, listen, type HttpListener, type ListenOptions } from "./listen.ts";
export { createLogger, requestLineWriter, type CreateLoggerOptions } from "./logger.ts";
export { describeStartupFailure, runMain, StartupError, type StartupContext } from "./startup.ts";
