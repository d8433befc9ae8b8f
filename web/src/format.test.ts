import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  SEGMENTS, STAGES, errorText, isMasked, label, linkFeatures, money, parseExplanation, parseFactor, percent,
  segmentLabel, showValue, stageLabel, timeline, topBy, when,
} from "./format";

describe("masking display", () => {
  it("recognises the API's masked forms and nothing else", () => {
    expect(isMasked("j***@gmail.com")).toBe(true);
    expect(isMasked("+1876*****12")).toBe(true);
    expect(isMasked("***")).toBe(true);
    expect(isMasked("1980-**-**")).toBe(true);
    expect(isMasked("jane@gmail.com")).toBe(false);
    expect(isMasked("+18765550112")).toBe(false);
    expect(isMasked(null)).toBe(false);
    expect(isMasked(42)).toBe(false);
  });
});

describe("formatting", () => {
  it("shows money in JMD by default and survives an unknown currency code", () => {
    expect(money(1234.5)).toMatch(/1,234\.5/);
    expect(money(1234.5)).toMatch(/\$|JMD/);
    expect(money(10, "usd")).toMatch(/10/);
    expect(money(5, "NOT-A-CODE")).toBe("NOT-A-CODE 5.00");
    expect(money(null)).toBe("—");
  });

  it("shows shares, labels and JSON values as people read them", () => {
    expect(percent(0.456)).toBe("46%");
    expect(percent(0.456, 1)).toBe("45.6%");
    expect(percent(undefined)).toBe("—");
    expect(label("postal_zone")).toBe("Postal zone");
    expect(label("")).toBe("");
    expect(showValue(["a", "b"])).toBe("a, b");
    expect(showValue(null)).toBe("—");
    expect(showValue({ a: 1 })).toBe('{"a":1}');
    expect(showValue(3)).toBe("3");
  });

  it("shows dates, and unreadable ones as they came", () => {
    expect(when(null)).toBe("—");
    expect(when("not a date")).toBe("not a date");
    expect(when("2025-03-04")).toMatch(/2025/);
    expect(when(Date.UTC(2024, 0, 2, 10, 30))).toMatch(/2024/);
  });
});

describe("timeline", () => {
  it("merges interactions and transactions newest first, undated last", () => {
    const entries = timeline(
      [
        { key: "i1", type: "call", occurredAt: "2025-01-05T10:00:00Z", subject: "Renewal", outcome: "interested", rep: "Ann" },
        { key: "i2", type: "visit", occurredAt: null },
      ],
      [{ key: "t1", type: "invoice", date: "2025-02-01", amount: 5000, currency: "JMD", description: "Tiles" }],
    );
    expect(entries.map((e) => e.key)).toEqual(["t1", "i1", "i2"]);
    expect(entries[1].title).toBe("Call: Renewal");
    expect(entries[1].detail).toBe("interested · by Ann");
    expect(entries[0].kind).toBe("transaction");
    expect(entries[0].title).toMatch(/^Invoice .*5,000/);
  });

  it("is empty for a customer with no history", () => {
    expect(timeline([], [])).toEqual([]);
  });
});

describe("top by score", () => {
  it("ranks only customers that have the score", () => {
    const people = [{ id: "a", s: 0.2 }, { id: "b", s: null }, { id: "c", s: 0.9 }, { id: "d", s: 0.5 }];
    expect(topBy(people, (p) => p.s, 2).map((p) => p.id)).toEqual(["c", "d"]);
    expect(topBy([{ s: null }], (p) => p.s)).toEqual([]);
  });
});

describe("match explanation", () => {
  const raw = {
    probability: 0.97,
    weight: 5.4,
    contributions: [
      { comparison: "family_name", label: "exact", value_a: "sterling", value_b: "sterling", weight: 6.4 },
      { comparison: "email", label: "null", value_a: "-", value_b: "c***@outlook.com", weight: 0 },
    ],
  };

  it("reads the explanation whether it comes as JSON or as JSON text", () => {
    for (const given of [raw, JSON.stringify(raw)]) {
      const e = parseExplanation(given);
      expect(e.probability).toBe(0.97);
      expect(e.contributions).toHaveLength(2);
      expect(e.contributions[1]).toEqual({ comparison: "email", label: "null", valueA: "—", valueB: "c***@outlook.com", weight: 0 });
    }
  });

  it("gives an empty explanation for bad input instead of failing", () => {
    expect(parseExplanation("{not json").contributions).toEqual([]);
    expect(parseExplanation(null).contributions).toEqual([]);
    expect(parseExplanation({ contributions: "nope" }).contributions).toEqual([]);
  });
});

describe("errors in words", () => {
  it("says what to do for each error code", () => {
    const e = (code: string, message: string) => ({ graphQLErrors: [{ message, extensions: { code } }] });
    expect(errorText(e("FORBIDDEN", "customer C1 is outside your accounts"))).toBe("Not allowed: customer C1 is outside your accounts");
    expect(errorText(e("TOKEN_EXPIRED", "token expired"))).toMatch(/^Please sign in again/);
    expect(errorText(e("BAD_INPUT", "first: 500 is outside 1..100"))).toBe("first: 500 is outside 1..100");
    expect(errorText({ graphQLErrors: [], networkError: new Error("Failed to fetch") })).toMatch(/Cannot reach the c360 server/);
    expect(errorText({ graphQLErrors: [], networkError: new Error("Bad Request") })).toBe("The c360 server could not answer: Bad Request.");
    expect(errorText(null)).toBe("");
  });
});

describe("score factors", () => {
  it("reads the API's factor text with its direction", () => {
    expect(parseFactor("days_since_activity=412 (+0.213)")).toEqual({
      feature: "days_since_activity", value: "412", change: 0.213, direction: "up",
    });
    expect(parseFactor("spend_last_year=900 (-400)")).toEqual({
      feature: "spend_last_year", value: "900", change: -400, direction: "down",
    });
    expect(parseFactor("kind=business (0)").direction).toBeNull();
  });
  it("keeps text it cannot read whole, without a direction", () => {
    expect(parseFactor("something odd")).toEqual({ feature: "something odd", value: "", change: null, direction: null });
  });
});

/** The values of an enum of the server's schema (exported by `make web`). */
function enumValues(name: string): string[] {
  const schema = readFileSync(new URL("../schema.graphql", import.meta.url), "utf8");
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(schema)?.[1] ?? "";
  return body.split(/\s+/).filter((w) => /^[A-Z_]+$/.test(w));
}

describe("stages, segments and predicted links", () => {
  it("offers every stage and segment the API knows, in words", () => {
    expect(Object.keys(STAGES)).toEqual(enumValues("CustomerStage"));
    expect([...SEGMENTS].sort()).toEqual(enumValues("CustomerSegment").sort());
    expect(SEGMENTS).toHaveLength(8);
    expect(stageLabel("AT_RISK")).toBe("at risk");
    expect(stageLabel(null)).toBe("—");
    expect(segmentLabel("BUSINESS_HIGH")).toBe("business · high value");
    expect(segmentLabel("PERSON_UNSCORED")).toBe("person · not scored");
  });
  it("says what lies behind a predicted link", () => {
    expect(linkFeatures({ common_neighbours: 2, distance: 3, jaccard: 0.2 })).toBe("2 in common, 3 steps apart");
    expect(linkFeatures(null)).toBe("");
  });
});
