/** Where `npm run dev` serves each piece on 127.0.0.1. */
export const DEV_PORTS = { postgres: 54329, cache: 8079, api: 4000, edge: 8787 } as const;
