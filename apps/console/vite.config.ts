import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import react from "@vitejs/plugin-react";
import { defaultClientConditions, defaultServerConditions, defineConfig, type Plugin } from "vite";

/** Writes .br and .gz beside each text asset, so the server sends them without compressing per request. */
function precompress(): Plugin {
  let outDir = "";
  let ssr = false;
  return {
    name: "sesame-precompress",
    apply: "build",
    configResolved(config) {
      outDir = config.build.outDir;
      ssr = !!config.build.ssr;
    },
    closeBundle() {
      if (ssr) return;
      const walk = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) => {
          const path = join(dir, name);
          return statSync(path).isDirectory() ? walk(path) : [path];
        });
      for (const file of walk(outDir).filter((f) => /\.(js|css|html|svg|json)$/.test(f))) {
        const raw = readFileSync(file);
        writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
      }
    },
  };
}

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [react(), precompress()],
  // @sesame/client and the other workspace packages from their sources (tsconfig.base.json's condition).
  resolve: { conditions: ["@sesame/source", ...defaultClientConditions] },
  ssr: { resolve: { conditions: ["@sesame/source", ...defaultServerConditions], externalConditions: ["@sesame/source"] } },
  build: {
    outDir: "dist/web",
    emptyOutDir: true,
    // The server bundle (`vite build --ssr`) needs no favicon.
    copyPublicDir: !isSsrBuild,
    // Browsers of the last few years: no legacy transforms inflate the bundle.
    target: "es2022",
  },
}));
