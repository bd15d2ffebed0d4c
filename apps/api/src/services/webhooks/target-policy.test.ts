import { describe, expect, it } from "vitest";
import { forbiddenAddressReason, webhookUrlProblem } from "./target-policy.ts";

const strict = { allowPrivate: false, httpsOnly: true };

describe("forbiddenAddressReason", () => {
  it.each([
    "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
    "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "ff02::1",
  ])("refuses %s", (address) => {
    expect(forbiddenAddressReason(address, strict)).toMatch(/webhooks go to public addresses only/);
  });

  it.each(["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])("allows the public address %s", (address) => {
    expect(forbiddenAddressReason(address, strict)).toBeNull();
  });

  it("allows private addresses when SESAME_WEBHOOKS_ALLOW_PRIVATE is set", () => {
    expect(forbiddenAddressReason("127.0.0.1", { allowPrivate: true })).toBeNull();
  });
});

describe("webhookUrlProblem", () => {
  it("accepts a public https URL", () => {
    expect(webhookUrlProblem("https://hooks.example.com/sesame?x=1", strict)).toBeNull();
  });

  it.each([
    ["http://hooks.example.com/x", "must be an https: URL"],
    ["ftp://hooks.example.com/x", "must be an https: URL"],
    ["https://user:pw@hooks.example.com/x", "must not carry credentials (put a secret in the path, or verify the signature)"],
    ["https://127.0.0.1/x", "must not point at a loopback address (127.0.0.1): webhooks go to public addresses only"],
    ["https://169.254.169.254/latest/meta-data", "must not point at a linkLocal address (169.254.169.254): webhooks go to public addresses only"],
    ["https://[fd00:ec2::254]/", "must not point at a uniqueLocal address (fd00:ec2::254): webhooks go to public addresses only"],
    ["https://[::ffff:10.0.0.1]/", "must not point at a private address (::ffff:a00:1): webhooks go to public addresses only"],
    ["https://localhost/x", "must name a public host"],
    ["https://intranet/x", "must name a public host"],
    ["hooks.example.com/x", "must be an absolute URL"],
  ])("refuses %s", (url, problem) => {
    expect(webhookUrlProblem(url, strict)).toBe(problem);
  });

  it("allows http: outside production, and loopback with SESAME_WEBHOOKS_ALLOW_PRIVATE", () => {
    expect(webhookUrlProblem("http://hooks.example.com/x", { allowPrivate: false, httpsOnly: false })).toBeNull();
    expect(webhookUrlProblem("http://127.0.0.1:9/x", { allowPrivate: true, httpsOnly: false })).toBeNull();
  });
});
