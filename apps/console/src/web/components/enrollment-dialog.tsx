/**
 * A fresh enrollment code: the 8 digits, the link (which names the code's id, never the digits),
 * a QR code of the link, and a live countdown to expiry. The QR library loads only when needed.
 */
import { useEffect, useState } from "react";
import type { EnrollmentCode } from "../api.ts";
import { Dialog } from "./dialog.tsx";

export function EnrollmentDialog({ code, username, onClose }: { code: EnrollmentCode; username: string; onClose: () => void }) {
  const remaining = useSecondsLeft(code.expiresAt);
  const qr = useQrDataUrl(code.url);
  const expired = remaining <= 0;
  return (
    <Dialog title={`Enrollment code for ${username}`} onClose={onClose} className="enrollment">
      <p className={`code ${expired ? "expired" : ""}`} aria-label={`Code ${code.token.split("").join(" ")}`} data-testid="enrollment-code">
        {code.token.slice(0, 4)} {code.token.slice(4)}
      </p>
      <p className="countdown">
        {expired ? (
          <strong role="alert">Expired. Create a new code.</strong>
        ) : (
          <>
            Expires in{" "}
            <time dateTime={`PT${remaining}S`} aria-live="off">
              {Math.floor(remaining / 60)}:{String(remaining % 60).padStart(2, "0")}
            </time>
            <span className="sr-only" aria-live="polite">
              {remaining === 60 ? "One minute left." : ""}
            </span>
          </>
        )}
      </p>
      <p className="muted">Single use. The user enters the code in the app (or opens the link and enters it there).</p>
      {code.url ? (
        <>
          <p className="link-line">
            Link:{" "}
            <a href={code.url} target="_blank" rel="noreferrer noopener" data-testid="enrollment-link">
              {code.url}
            </a>
          </p>
          <div className="qr">{qr ? <img src={qr} width={180} height={180} alt={`QR code of the enrollment link for ${username}`} /> : null}</div>
        </>
      ) : (
        <p className="notice">This tenant has no enrollment URL, so there is no link or QR code. Set one under Tenant → Settings.</p>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={onClose}>
          Done
        </button>
      </div>
    </Dialog>
  );
}

function useSecondsLeft(expiresAt: string): number {
  const left = () => Math.max(0, Math.ceil((Date.parse(expiresAt) - Date.now()) / 1000));
  const [seconds, setSeconds] = useState(left);
  useEffect(() => {
    const timer = setInterval(() => setSeconds(left()), 1000);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [expiresAt]);
  return seconds;
}

function useQrDataUrl(text: string | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!text) return;
    let live = true;
    void import("qrcode").then(async (QRCode) => {
      const svg = await QRCode.toString(text, { type: "svg", margin: 1, errorCorrectionLevel: "M" });
      if (live) setUrl(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
    });
    return () => {
      live = false;
    };
  }, [text]);
  return url;
}
