import { describe, expect, it } from "vitest";
import { can, loadSession, parseToken, saveSession, TokenError } from "./auth";

function token(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${enc({ alg: "HS256", typ: "JWT" })}.${enc(claims)}.signature`;
}

const now = Date.UTC(2026, 0, 1);
const later = now / 1000 + 3600;

describe("parseToken", () => {
  it("reads who the token is for, its roles, scopes and territory", () => {
    const s = parseToken(`Bearer ${token({ sub: "Kemar Lewis", roles: ["rep"], scope: "pii", territory: ["St. Ann"], exp: later })}`, now);
    expect(s.sub).toBe("Kemar Lewis");
    expect(s.roles).toEqual(["rep"]);
    expect(s.scopes).toEqual(["pii"]);
    expect(s.territory).toEqual(["St. Ann"]);
    expect(s.expiresAt).toBe(later * 1000);
  });

  it("reads non-ASCII names", () => {
    expect(parseToken(token({ sub: "Zoë Müller", roles: ["steward"] }), now).sub).toBe("Zoë Müller");
  });

  it("says what is wrong with a bad token", () => {
    expect(() => parseToken("", now)).toThrow(/Paste a token/);
    expect(() => parseToken("abc.def", now)).toThrow(/three parts/);
    expect(() => parseToken("a.%%%.c", now)).toThrow(/cannot be read/);
    expect(() => parseToken(token({ roles: ["rep"] }), now)).toThrow(/who it is for/);
    expect(() => parseToken(token({ sub: "x", roles: ["pirate"] }), now)).toThrow(/no known role/);
    expect(() => parseToken(token({ sub: "x", roles: ["rep"], exp: now / 1000 - 1 }), now)).toThrow(TokenError);
  });
});

describe("what the app offers each role", () => {
  const of = (roles: string[], scope?: string) => parseToken(token({ sub: "x", roles, scope }), now);
  it("offers the review queue to stewards, not reps", () => {
    expect(can.review(of(["steward"]))).toBe(true);
    expect(can.review(of(["rep"]))).toBe(false);
  });
  it("lets reps log interactions and subscribe, stewards neither", () => {
    expect(can.logInteraction(of(["rep"]))).toBe(true);
    expect(can.subscribe(of(["rep"]))).toBe(true);
    expect(can.logInteraction(of(["steward"]))).toBe(false);
    expect(can.subscribe(of(["steward"]))).toBe(false);
  });
  it("shows PII only with the pii scope and all customers only beyond the rep role", () => {
    expect(can.seesPii(of(["manager"], "pii"))).toBe(true);
    expect(can.seesPii(of(["admin"]))).toBe(false);
    expect(can.seesAll(of(["rep"]))).toBe(false);
    expect(can.seesAll(of(["rep", "manager"]))).toBe(true);
  });
});

describe("stored session", () => {
  it("keeps a good token and drops an expired one", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    };
    const good = parseToken(token({ sub: "x", roles: ["rep"], exp: Date.now() / 1000 + 60 }));
    saveSession(good, storage);
    expect(loadSession(storage)?.sub).toBe("x");
    store.set("c360.token", token({ sub: "x", roles: ["rep"], exp: 1 }));
    expect(loadSession(storage)).toBeNull();
    expect(store.size).toBe(0);
  });
});
