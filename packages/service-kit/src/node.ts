/** `@sesame/service-kit/node`: the Node side (listening on a port). */
export { formatUrlHost, listen, type HttpListener, type ListenOptions } from "./listen.ts";
