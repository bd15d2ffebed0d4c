// `npm start`: the built API and Node edge (`npm run build` first) under plain `node`, with
// NODE_ENV=production, side by side from one environment. Each gets its own port variable
// (API_PORT, EDGE_PORT; contract §7), so a PORT meant for one of them is refused here.
// Ctrl-C or SIGTERM stops both; when one exits, the other is stopped and its exit code is ours.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const apps = [
  { name: "API", entry: join(root, "apps/api/bundle/main.js") },
  { name: "edge", entry: join(root, "apps/edge/bundle/node.js") },
];

const missing = apps.filter((app) => !existsSync(app.entry));
if (missing.length > 0) {
  console.error(`npm start: ${missing.map((app) => app.entry).join(", ")} not built; run \`npm run build\` first`);
  process.exit(1);
}
if (process.env.PORT) {
  console.error("npm start: PORT would be read by both the API and the edge; set API_PORT and EDGE_PORT instead");
  process.exit(1);
}

const env = { ...process.env, NODE_ENV: "production" };
const children = apps.map((app) => ({ ...app, child: spawn(process.execPath, [app.entry], { env, stdio: "inherit" }) }));

let exitCode = null;
function stopAll(signal) {
  for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
for (const { child } of children) {
  child.on("exit", (code, signal) => {
    exitCode ??= code ?? (signal === "SIGINT" || signal === "SIGTERM" ? 0 : 1);
    stopAll("SIGTERM");
    if (children.every(({ child: c }) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
  });
}
process.on("SIGINT", () => stopAll("SIGINT"));
process.on("SIGTERM", () => stopAll("SIGTERM"));
