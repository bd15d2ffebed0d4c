import { describe, expect, it } from "vitest";
import { isAllowedEnrollmentUrl } from "./enrollment-url.ts";

describe("isAllowedEnrollmentUrl", () => {
  it.each(["https://app.example.com/enroll", "http://localhost:5173/enroll", "http://127.0.0.1:3000/e", "http://[::1]:8080/", "http://app.localhost/"])("accepts %s", (url) => {
    expect(isAllowedEnrollmentUrl(url)).toBe(true);
  });
  it.each([
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://app.example.com/enroll",
    "http://127.0.0.1.example.com/",
    "ftp://example.com/",
    "https://user:pw@example.com/",
    "not a url",
  ])("refuses %s", (url) => {
    expect(isAllowedEnrollmentUrl(url)).toBe(false);
  });
});
