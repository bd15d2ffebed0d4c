import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import { createMailer } from "./mailer.ts";

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger("info", destination), lines };
}

describe("createMailer", () => {
  it("in development without SMTP, prints each mail with its link to the log instead of sending it", async () => {
    const { logger, lines } = capturedLogger();
    const mailer = createMailer({ kind: "log" }, logger);
    await mailer.send({ to: "ada@example.test", subject: "Reset your password", text: "open https://app.example/reset#token=abc" });
    expect(mailer.enabled).toBe(true);
    expect(lines).toEqual([expect.objectContaining({ mail: { to: "ada@example.test", subject: "Reset your password" }, body: "open https://app.example/reset#token=abc" })]);
  });

  it("in production without SMTP, is disabled and refuses to send", async () => {
    const mailer = createMailer({ kind: "none" }, capturedLogger().logger);
    expect(mailer.enabled).toBe(false);
    await expect(mailer.send({ to: "a@example.test", subject: "s", text: "t" })).rejects.toThrow("mail is not configured");
  });
});
