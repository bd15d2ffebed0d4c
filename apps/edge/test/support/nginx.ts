/**
 * A real nginx (Debian's package) for the forward-auth test and bench: started in the foreground
 * (`daemon off`) on a free port with a generated configuration, its prefix, pid, logs and temp files
 * in a temporary directory. `.ci/run` installs nginx when it is missing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { onFreePort } from "@sesame/dev-services";

export interface NginxHandle {
  url: string;
  /** The error log so far (nginx explains a refused auth subrequest there). */
  errorLog(): string;
  close(): Promise<void>;
}

/**
 * `servers(port)`: the http block's server blocks and upstreams, listening on 127.0.0.1:port.
 * Another process can take the port between `closedPort()` and nginx's bind (the other suites run
 * beside this one): nginx then exits saying so, and starts again on a fresh port.
 */
export function startNginx(servers: (port: number) => string): Promise<NginxHandle> {
  return onFreePort(
    (port) => startNginxOn(port, servers),
    (error) => String(error).includes("Address already in use"),
  );
}

async function startNginxOn(port: number, servers: (port: number) => string): Promise<NginxHandle> {
  const dir = mkdtempSync(join(tmpdir(), "sesame-nginx-"));
  const asRoot = process.getuid?.() === 0;
  const config = `
${asRoot ? "user root;" : ""}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  # nginx closes a client's keep-alive connection after 1,000 requests by default; a benchmark
  # client racing that close counts an error. Connections here live as long as the run.
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${servers(port)}
}
`;
  writeFileSync(join(dir, "nginx.conf"), config);
  // Debian installs it in /usr/sbin, which a non-root PATH may lack.
  const binary = existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
  const child: ChildProcess = spawn(binary, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.once("error", () => undefined);
  const errorLog = () => {
    try {
      return readFileSync(join(dir, "error.log"), "utf8");
    } catch {
      return "";
    }
  };
  // nginx writes its pid file only once it listens on its port (an answer on the port before that
  // could come from whoever took it meanwhile).
  const pidWritten = async () => {
    const until = Date.now() + 10_000;
    while (!existsSync(join(dir, "nginx.pid"))) {
      if (Date.now() > until) return false;
      await sleep(20);
    }
    return true;
  };
  const started = await Promise.race([pidWritten(), exited.then(() => false)]);
  if (!started) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`nginx did not start (is Debian's nginx installed?): ${stderr}${errorLog()}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    errorLog,
    async close() {
      if (child.exitCode === null) {
        // SIGTERM: nginx's fast shutdown.
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * nginx's `auth_request` in front of an upstream, asking the edge's `/_sesame/auth` — the README's
 * snippet, with the addresses filled in.
 */
export function forwardAuthServer(options: { port: number; edgeUrl: string; upstreamUrl: string }): string {
  const host = (url: string) => new URL(url).host;
  return `
  upstream app { server ${host(options.upstreamUrl)}; keepalive 64; }
  upstream sesame_edge { server ${host(options.edgeUrl)}; keepalive 64; }
  server {
    listen 127.0.0.1:${options.port};

    location / {
      auth_request /_sesame_auth;
      auth_request_set $sesame_user_id $upstream_http_x_sesame_user_id;
      auth_request_set $sesame_session_id $upstream_http_x_sesame_session_id;
      auth_request_set $sesame_tenant_id $upstream_http_x_sesame_tenant_id;
      auth_request_set $sesame_groups $upstream_http_x_sesame_groups;
      auth_request_set $sesame_challenge $upstream_http_www_authenticate;
      # Set from the edge's answer (empty removes them), never from the client.
      proxy_set_header X-Sesame-User-Id $sesame_user_id;
      proxy_set_header X-Sesame-Session-Id $sesame_session_id;
      proxy_set_header X-Sesame-Tenant-Id $sesame_tenant_id;
      proxy_set_header X-Sesame-Groups $sesame_groups;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
      error_page 401 = @sesame_401;
      # auth_request turns any answer but 2xx/401/403 into 500: the edge's 503 comes back as 503.
      error_page 500 = @sesame_unavailable;
    }

    location = /_sesame_auth {
      internal;
      proxy_pass http://sesame_edge/_sesame/auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-Uri $request_uri;
      proxy_set_header X-Forwarded-Method $request_method;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }

    location @sesame_401 {
      add_header WWW-Authenticate $sesame_challenge always;
      return 401;
    }

    location @sesame_unavailable {
      add_header Retry-After 2 always;
      return 503;
    }
  }`;
}

/** nginx proxying alone (the bench's floor for forward auth). */
export function plainProxyServer(options: { port: number; upstreamUrl: string }): string {
  return `
  upstream app { server ${new URL(options.upstreamUrl).host}; keepalive 64; }
  server {
    listen 127.0.0.1:${options.port};
    location / {
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://app;
    }
  }`;
}
