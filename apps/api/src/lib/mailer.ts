/**
 * Outgoing mail, through SMTP with nodemailer. Without SMTP settings, development uses a catcher
 * that writes each mail's recipient, subject and text (with its link) to the API log instead of
 * sending it — no external service; production sends nothing and the mail procedures answer
 * PRECONDITION_FAILED.
 */
import nodemailer from "nodemailer";
import type { Logger } from "pino";

export type MailConfig =
  | { kind: "smtp"; transport: string | { host: string; port: number; secure: boolean; auth?: { user: string; pass: string } }; from: string }
  | { kind: "log" }
  | { kind: "none" };

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** False when the server has no way to send mail (production without SMTP). */
  readonly enabled: boolean;
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** How long one SMTP conversation may take before it counts as failed. */
const SMTP_TIMEOUT_MS = 10_000;

export function createMailer(config: MailConfig, logger: Logger): Mailer {
  if (config.kind === "none") {
    return { enabled: false, send: async () => { throw new Error("mail is not configured"); }, close: () => undefined };
  }
  if (config.kind === "log") {
    return {
      enabled: true,
      async send(message) {
        // Development only: the text carries the one-time link, which is the point of the catcher.
        logger.info({ mail: { to: message.to, subject: message.subject }, body: message.text }, "mail not sent (no SMTP configured): development catcher");
      },
      close: () => undefined,
    };
  }
  const transporter = nodemailer.createTransport(
    typeof config.transport === "string"
      ? { url: config.transport, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS }
      : { ...config.transport, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS },
  );
  return {
    enabled: true,
    async send(message) {
      await transporter.sendMail({ from: config.from, to: message.to, subject: message.subject, text: message.text });
    },
    close: () => transporter.close(),
  };
}
