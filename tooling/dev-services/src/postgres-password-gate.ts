/**
 * PGlite over pglite-socket trusts every connection: any user name and any password get in, and
 * pglite-socket (0.2.17) has no authentication option. This gate stands where clients connect: it
 * runs the start of the Postgres wire protocol itself, authenticates the client with
 * SCRAM-SHA-256 (what real Postgres uses, and what postgres.js, psql and drizzle-kit speak) against
 * one user and password, and only then pipes the connection to the pglite-socket server, which
 * listens on a Unix socket in a private (0700) directory that other local users cannot open.
 *
 * Protocol references: PostgreSQL docs, "Message Flow: Start-up" and "SASL Authentication";
 * RFC 5802 (SCRAM) and RFC 7677 (SCRAM-SHA-256).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";

export interface PostgresPasswordGateOptions {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Where the trusting server (pglite-socket) listens: a Unix socket path or a Windows pipe name. */
  upstreamPath: string;
}

const PROTOCOL_3 = 196608;
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
/** Nothing a client sends before it is authenticated is anywhere near this long. */
const MAX_MESSAGE_BYTES = 16 * 1024;
/** A client that has not authenticated by then is dropped. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const SCRAM_ITERATIONS = 4096;

/** Starts the gate; resolves once it listens. */
export async function startPostgresPasswordGate(options: PostgresPasswordGateOptions): Promise<Server> {
  const keys = scramKeys(options.password);
  const server = createServer((socket) => void admit(socket, options, keys));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

interface ScramKeys {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** The password is stretched once per start, as a server stores it: only these keys are kept. */
function scramKeys(password: string): ScramKeys {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 32, "sha256");
  return { salt, storedKey: sha256(hmac(salted, "Client Key")), serverKey: hmac(salted, "Server Key") };
}

async function admit(client: Socket, options: PostgresPasswordGateOptions, keys: ScramKeys): Promise<void> {
  const reader = new MessageReader(client);
  client.setTimeout(HANDSHAKE_TIMEOUT_MS, () => client.destroy());
  client.on("error", () => client.destroy());
  try {
    let startup = await reader.untyped();
    while (startup.readInt32BE(4) === SSL_REQUEST || startup.readInt32BE(4) === GSSENC_REQUEST) {
      client.write("N"); // no TLS on this loopback gate; the client goes on in plain text
      startup = await reader.untyped();
    }
    if (startup.readInt32BE(4) !== PROTOCOL_3) return void client.destroy();
    const user = startupParameters(startup).get("user") ?? "";

    client.write(authentication(10, Buffer.from("SCRAM-SHA-256\0\0")));
    const initial = await reader.typed("p");
    const mechanismEnd = initial.indexOf(0);
    if (initial.subarray(0, mechanismEnd).toString() !== "SCRAM-SHA-256") return refuse(client, user);
    const clientFirst = initial.subarray(mechanismEnd + 5).toString();
    const gs2Header = /^[ny],,/.exec(clientFirst)?.[0];
    const clientFirstBare = gs2Header ? clientFirst.slice(gs2Header.length) : "";
    const clientNonce = /(?:^|,)r=([^,]+)/.exec(clientFirstBare)?.[1];
    if (!gs2Header || !clientNonce) return refuse(client, user);

    const nonce = clientNonce + randomBytes(18).toString("base64");
    const serverFirst = `r=${nonce},s=${keys.salt.toString("base64")},i=${SCRAM_ITERATIONS}`;
    client.write(authentication(11, Buffer.from(serverFirst)));

    const clientFinal = (await reader.typed("p")).toString();
    const proofAt = clientFinal.lastIndexOf(",p=");
    const withoutProof = clientFinal.slice(0, proofAt);
    const proof = Buffer.from(clientFinal.slice(proofAt + 3), "base64");
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const binding = `c=${Buffer.from(gs2Header).toString("base64")},r=${nonce}`;
    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); it must hash to StoredKey.
    const signature = hmac(keys.storedKey, authMessage);
    const proven =
      proofAt > 0 &&
      withoutProof === binding &&
      proof.length === signature.length &&
      timingSafeEqual(sha256(Buffer.from(proof.map((byte, i) => byte ^ signature[i]!))), keys.storedKey);
    if (!proven || user !== options.user) return refuse(client, user);
    client.write(authentication(12, Buffer.from(`v=${hmac(keys.serverKey, authMessage).toString("base64")}`)));

    client.setTimeout(0);
    pipeToUpstream(client, options.upstreamPath, Buffer.concat([startup, reader.rest()]));
  } catch {
    client.destroy();
  }
}

/** The trusting server answers the original startup message with AuthenticationOk and the rest. */
function pipeToUpstream(client: Socket, path: string, firstBytes: Buffer): void {
  const upstream = connect(path);
  upstream.on("error", () => client.destroy());
  client.on("close", () => upstream.destroy());
  upstream.on("close", () => client.destroy());
  upstream.write(firstBytes);
  client.pipe(upstream);
  upstream.pipe(client);
}

/** Same answer for a wrong user and a wrong password, as Postgres gives. */
function refuse(client: Socket, user: string): void {
  const fields = [`SFATAL`, `VFATAL`, `C28P01`, `Mpassword authentication failed for user "${user.replace(/[^\x20-\x7e]/g, "?")}"`];
  const body = Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]);
  client.end(message("E", body));
}

function startupParameters(startup: Buffer): Map<string, string> {
  const parts = startup.subarray(8).toString().split("\0");
  const parameters = new Map<string, string>();
  for (let i = 0; i + 1 < parts.length && parts[i] !== ""; i += 2) parameters.set(parts[i]!, parts[i + 1]!);
  return parameters;
}

const authentication = (code: number, data: Buffer) => message("R", Buffer.concat([int32(code), data]));
const message = (type: string, body: Buffer) => Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
const int32 = (value: number) => {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value);
  return buffer;
};
const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();

/** Reads whole protocol messages off a socket that has not been handed over yet. */
class MessageReader {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  private ended = false;

  constructor(socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      if (this.buffered.length > MAX_MESSAGE_BYTES * 2) socket.destroy();
      this.waiting?.();
    });
    socket.on("close", () => {
      this.ended = true;
      this.waiting?.();
    });
    this.detach = () => {
      socket.removeAllListeners("data");
      socket.pause();
    };
  }

  private readonly detach: () => void;

  /** A message without a type byte (the startup phase): length, then body. */
  async untyped(): Promise<Buffer> {
    const length = (await this.take(4)).readInt32BE(0);
    if (length < 8 || length > MAX_MESSAGE_BYTES) throw new Error("bad startup length");
    return Buffer.concat([int32(length), await this.take(length - 4)]);
  }

  /** A typed message's body, which must be of `type`. */
  async typed(type: string): Promise<Buffer> {
    const header = await this.take(5);
    const length = header.readInt32BE(1);
    if (String.fromCharCode(header[0]!) !== type || length < 4 || length > MAX_MESSAGE_BYTES) throw new Error("unexpected message");
    return this.take(length - 4);
  }

  /** Whatever arrived beyond the last message read; the socket is paused for piping. */
  rest(): Buffer {
    this.detach();
    return this.buffered;
  }

  private async take(bytes: number): Promise<Buffer> {
    while (this.buffered.length < bytes) {
      if (this.ended) throw new Error("connection closed");
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
    }
    const taken = this.buffered.subarray(0, bytes);
    this.buffered = this.buffered.subarray(bytes);
    return taken;
  }
}
