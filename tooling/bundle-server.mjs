// Bundles a Node server entry into runnable JS for `npm start` (plain `node`, no tsx):
//   node ../../tooling/bundle-server.mjs <outdir> <entry.ts>...
// Sesame's own workspace packages (TypeScript sources) are bundled in; every npm dependency stays
// an import, resolved from node_modules at run time as the app's `dependencies` install it.
// @sesame/dev-services stays out: it is a development dependency, imported only outside production.
import { build } from "esbuild";
import { rmSync } from "node:fs";

const [outdir, ...entryPoints] = process.argv.slice(2);
if (!outdir || entryPoints.length === 0) {
  console.error("usage: bundle-server.mjs <outdir> <entry.ts>...");
  process.exit(2);
}

/** Bundle `@sesame/*` (but dev-services); leave every other bare import to node_modules. */
const dependenciesStayImports = {
  name: "dependencies-stay-imports",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const own = args.path.startsWith("@sesame/") && !args.path.startsWith("@sesame/dev-services");
      return own ? undefined : { path: args.path, external: true };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints,
  outdir,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  // Workspace packages from their TypeScript sources (their exports' source condition), not dist.
  conditions: ["@sesame/source"],
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
  plugins: [dependenciesStayImports],
});
for (const [file, { bytes }] of Object.entries(result.metafile.outputs)) {
  if (file.endsWith(".js")) console.log(`${file}  ${(bytes / 1024).toFixed(1)} KiB`);
}
