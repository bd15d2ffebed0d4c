import { describe, expect, it } from "vitest";
import { edgeOptionsForApi } from "./api-options.ts";

describe("edgeOptionsForApi", () => {
  it("points the keys and introspection at the API, trusting it as issuer", () => {
    expect(edgeOptionsForApi({ apiUrl: "https://api.example.com/", secret: "s" })).toEqual({
      issuer: "https://api.example.com",
      audience: "sesame",
      jwksUrl: "https://api.example.com/.well-known/jwks.json",
      introspection: { url: "https://api.example.com/internal/introspect", secret: "s" },
    });
  });

  it("takes an issuer, an audience and a JWKS location of their own", () => {
    const options = edgeOptionsForApi({ apiUrl: "http://10.0.0.5:4000", secret: "s", issuer: "https://id.example.com", audience: "app", jwksUrl: "https://keys.example.com/jwks" });
    expect(options).toMatchObject({ issuer: "https://id.example.com", audience: "app", jwksUrl: "https://keys.example.com/jwks" });
    expect(options.introspection.url).toBe("http://10.0.0.5:4000/internal/introspect");
  });
});
