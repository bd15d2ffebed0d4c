/**
 * `GET /docs`: the API reference, browsable. Scalar's standalone bundle is served from
 * node_modules by the API itself, so the page works with no network beyond the API: air-gapped
 * installs and CI. @scalar/api-reference 1.46.4 is the last release whose engines allow Node 20;
 * its bundle runs in the browser, so the server's Node version does not matter to it.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { OpenAPIHono } from "@hono/zod-openapi";

const BUNDLE_PATH = "/docs/scalar.js";

/** Nothing is fetched from elsewhere: no web fonts, no proxy, no telemetry, no hosted client. */
const SCALAR_CONFIGURATION = {
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
  mcp: { disabled: true },
};

function page(specUrl: string): string {
  const config = JSON.stringify({ url: specUrl, ...SCALAR_CONFIGURATION });
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Sesame API reference</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="${BUNDLE_PATH}"></script>
    <script>Scalar.createApiReference("#app", ${config});</script>
  </body>
</html>`;
}

export function mountDocs(app: OpenAPIHono, specUrl: string): void {
  let bundle: Promise<string> | undefined;
  app.get("/docs", (c) => c.html(page(specUrl)));
  app.get(BUNDLE_PATH, async (c) => {
    bundle ??= readFile(createRequire(import.meta.url).resolve("@scalar/api-reference/browser/standalone.js"), "utf8");
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(await bundle, 200, { "content-type": "text/javascript; charset=utf-8" });
  });
}
