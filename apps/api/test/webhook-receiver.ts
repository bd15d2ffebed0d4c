/**
 * A real webhook receiver for tests: a node:http server on an ephemeral port that verifies every
 * request with `standardwebhooks` against the secrets it is given, and answers what the test says.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { WebhookPayload } from "@sesame/core";
import { Webhook } from "standardwebhooks";

export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  payload: WebhookPayload;
  /** Which of the receiver's secrets verified it (index), or null when none did. */
  verifiedBy: number | null;
  /** The answer the receiver gave. */
  status: number;
  /** When it arrived (ms since the epoch). */
  at: number;
}

export interface ReceiverOptions {
  secrets?: string[];
  /** The status to answer for a request (default 200), or "hang" to hold it open unanswered (recorded with status 0). */
  respond?: (payload: WebhookPayload, attempt: number) => number | "hang";
  /** The body of every answer (default "ok" for 2xx, "nope" otherwise). */
  answerBody?: string;
}

export async function startReceiver(options: ReceiverOptions = {}) {
  const received: Received[] = [];
  let secrets = options.secrets ?? [];
  let respond = options.respond ?? (() => 200);
  let answerBody = options.answerBody;
  const attemptsById = new Map<string, number>();
  const waiters: Array<() => void> = [];
  const server = createServer(async (req, res) => {
    const at = Date.now();
    const body = await readBody(req);
    const headers = { "webhook-id": String(req.headers["webhook-id"]), "webhook-timestamp": String(req.headers["webhook-timestamp"]), "webhook-signature": String(req.headers["webhook-signature"]) };
    let verifiedBy: number | null = null;
    for (const [i, secret] of secrets.entries()) {
      try {
        new Webhook(secret).verify(body, headers);
        verifiedBy = i;
        break;
      } catch {
        // try the next secret
      }
    }
    const payload = JSON.parse(body) as WebhookPayload;
    const attempt = (attemptsById.get(headers["webhook-id"]) ?? 0) + 1;
    attemptsById.set(headers["webhook-id"], attempt);
    const answer = respond(payload, attempt);
    const status = answer === "hang" ? 0 : answer;
    received.push({ id: headers["webhook-id"], timestamp: headers["webhook-timestamp"], signature: headers["webhook-signature"], body, payload, verifiedBy, status, at });
    if (answer !== "hang") res.writeHead(status, { "content-type": "text/plain" }).end(answerBody ?? (status < 300 ? "ok" : "nope"));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    /** Requests answered 2xx. */
    accepted: () => received.filter((r) => r.status >= 200 && r.status < 300),
    setSecrets: (next: string[]) => void (secrets = next),
    setRespond: (next: (payload: WebhookPayload, attempt: number) => number | "hang") => void (respond = next),
    setAnswerBody: (next: string | undefined) => void (answerBody = next),
    /** Resolves once `predicate` holds over what was received (or rejects after `timeoutMs`). */
    async waitFor(predicate: (received: Received[]) => boolean, timeoutMs = 20_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms (${received.length} requests received)`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return received;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
