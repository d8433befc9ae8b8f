// How values read on screen: money in JMD, dates, shares, masked personal data.

const MASK = /\*/;

/** The API masks personal data for tokens without the `pii` scope ("j***@x.com", "+1876*****12", "***"). */
export function isMasked(value: unknown): boolean {
  return typeof value === "string" && MASK.test(value);
}

export function money(amount: number | null | undefined, currency: string | null | undefined = "JMD"): string {
  if (amount === null || amount === undefined || Number.isNaN(amount)) return "—";
  const code = (currency || "JMD").toUpperCase();
  try {
    return new Intl.NumberFormat("en-JM", { style: "currency", currency: code, maximumFractionDigits: 2 }).format(amount);
  } catch {
    return `${code} ${amount.toFixed(2)}`; // an unknown currency code
  }
}

export function percent(share: number | null | undefined, digits = 0): string {
  if (share === null || share === undefined || Number.isNaN(share)) return "—";
  return `${(share * 100).toFixed(digits)}%`;
}

/** A date given as ISO text or epoch milliseconds, shown in the reader's locale; "—" when absent or unreadable. */
export function when(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const date = typeof value === "number" ? new Date(value) : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const hasTime = typeof value === "number" || /T\d{2}:\d{2}/.test(value);
  return hasTime
    ? date.toLocaleString("en-JM", { dateStyle: "medium", timeStyle: "short" })
    : date.toLocaleDateString("en-JM", { dateStyle: "medium", timeZone: "UTC" });
}

/** Sort key for a date given as ISO text or epoch ms; absent dates sort last. */
export function timeOf(value: string | number | null | undefined): number {
  if (value === null || value === undefined || value === "") return Number.NEGATIVE_INFINITY;
  const t = typeof value === "number" ? value : Date.parse(value);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

export function score(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return value.toFixed(2);
}

/** A golden-record field name as a label: "postal_zone" -> "Postal zone". */
export function label(name: string): string {
  const text = name.replace(/_/g, " ").trim();
  return text ? text[0].toUpperCase() + text.slice(1) : name;
}

/** A JSON scalar from the API as short text. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.map(showValue).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export interface Contribution {
  comparison: string;
  label: string;
  valueA: string;
  valueB: string;
  weight: number;
}

export interface Explanation {
  probability: number | null;
  weight: number | null;
  contributions: Contribution[];
}

/** The match explanation of a review pair (sent as JSON, sometimes as JSON text). */
export function parseExplanation(raw: unknown): Explanation {
  let data: unknown = raw;
  if (typeof raw === "string") {
    try {
      data = JSON.parse(raw);
    } catch {
      return { probability: null, weight: null, contributions: [] };
    }
  }
  if (typeof data !== "object" || data === null) return { probability: null, weight: null, contributions: [] };
  const obj = data as Record<string, unknown>;
  const list = Array.isArray(obj.contributions) ? obj.contributions : [];
  const contributions = list
    .filter((c): c is Record<string, unknown> => typeof c === "object" && c !== null)
    .map((c) => ({
      comparison: String(c.comparison ?? "?"),
      label: String(c.label ?? ""),
      valueA: c.value_a === undefined || c.value_a === "-" ? "—" : String(c.value_a),
      valueB: c.value_b === undefined || c.value_b === "-" ? "—" : String(c.value_b),
      weight: typeof c.weight === "number" ? c.weight : 0,
    }));
  return {
    probability: typeof obj.probability === "number" ? obj.probability : null,
    weight: typeof obj.weight === "number" ? obj.weight : null,
    contributions,
  };
}

export interface TimelineEntry {
  key: string;
  kind: "interaction" | "transaction";
  at: string | null;
  title: string;
  detail: string | null;
}

interface InteractionLike { key: string; type?: string | null; occurredAt?: string | null; subject?: string | null; notes?: string | null; outcome?: string | null; rep?: string | null }
interface TransactionLike { key: string; type?: string | null; date?: string | null; amount?: number | null; currency?: string | null; description?: string | null }

/** Interactions and transactions in one list, newest first. */
export function timeline(interactions: InteractionLike[], transactions: TransactionLike[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [
    ...interactions.map((i) => ({
      key: i.key,
      kind: "interaction" as const,
      at: i.occurredAt ?? null,
      title: [label(i.type || "interaction"), i.subject].filter(Boolean).join(": "),
      detail: [i.outcome, i.notes, i.rep ? `by ${i.rep}` : null].filter(Boolean).join(" · ") || null,
    })),
    ...transactions.map((t) => ({
      key: t.key,
      kind: "transaction" as const,
      at: t.date ?? null,
      title: `${label(t.type || "transaction")} ${money(t.amount, t.currency)}`,
      detail: t.description ?? null,
    })),
  ];
  return entries.sort((a, b) => timeOf(b.at) - timeOf(a.at));
}

/** Customers with a score, highest first, at most `limit`. */
export function topBy<T>(items: T[], pick: (item: T) => number | null | undefined, limit = 5): T[] {
  return items
    .filter((i) => typeof pick(i) === "number" && !Number.isNaN(pick(i) as number))
    .sort((a, b) => (pick(b) as number) - (pick(a) as number))
    .slice(0, limit);
}

/** Words of a GraphQL error for people; the code is kept for the few that need their own text. */
export function errorText(error: { message?: string; graphQLErrors?: { message: string; extensions?: Record<string, unknown> }[]; networkError?: Error | null } | null | undefined): string {
  if (!error) return "";
  const first = error.graphQLErrors?.[0];
  if (first) {
    const code = first.extensions?.code;
    if (code === "UNAUTHENTICATED" || code === "TOKEN_EXPIRED") return `Please sign in again: ${first.message}`;
    if (code === "FORBIDDEN") return `Not allowed: ${first.message}`;
    if (code === "NOT_FOUND") return `Not found: ${first.message}`;
    if (code === "RATE_LIMITED") return `Too many requests: ${first.message}`;
    return first.message;
  }
  if (error.networkError) {
    const message = error.networkError.message;
    // fetch itself failed (offline, server down) or the server answered with an HTTP error
    return /fetch|network|load failed/i.test(message)
      ? `Cannot reach the c360 server (${message}). Check your connection and try again.`
      : `The c360 server could not answer: ${message}.`;
  }
  return error.message ?? "Something went wrong.";
}

export interface Factor {
  feature: string;
  value: string;
  change: number | null;
  /** up: this customer's value raises the score against a typical customer's; down: lowers it. */
  direction: "up" | "down" | null;
}

/** A score's top factor as the API writes it, "days_since_activity=412 (+0.213)". */
export function parseFactor(text: string): Factor {
  const match = /^(.+?)=(.*?)\s*\(([+-]?\d+(?:\.\d+)?)\)\s*$/.exec(text);
  if (!match) return { feature: text, value: "", change: null, direction: null };
  const change = Number(match[3]);
  return {
    feature: match[1],
    value: match[2],
    change,
    direction: change > 0 ? "up" : change < 0 ? "down" : null,
  };
}

/** Stages, in the order the API checks them, with the words a rep reads. */
export const STAGES: Record<string, string> = {
  LEAD: "Lead: never bought",
  NEW: "New: first purchases in the last 90 days",
  ACTIVE: "Active",
  AT_RISK: "At risk: churn risk 50% or more",
  LAPSED: "Lapsed: nothing for a year",
};

/** "AT_RISK" -> "at risk"; "BUSINESS_HIGH" -> "business · high value". */
export function stageLabel(stage: string | null | undefined): string {
  return stage ? stage.toLowerCase().replace(/_/g, " ") : "—";
}

export function segmentLabel(segment: string | null | undefined): string {
  if (!segment) return "—";
  const [kind, band] = segment.toLowerCase().split("_");
  return band === "unscored" ? `${kind} · not scored` : `${kind} · ${band} value`;
}

export const SEGMENTS = ["PERSON", "BUSINESS"].flatMap((k) => ["HIGH", "MID", "LOW", "UNSCORED"].map((b) => `${k}_${b}`));

/** The structural features behind a predicted link, in a rep's words. */
export function linkFeatures(raw: unknown): string {
  if (typeof raw !== "object" || raw === null) return "";
  const f = raw as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof f.common_neighbours === "number") parts.push(`${f.common_neighbours} in common`);
  if (typeof f.distance === "number") parts.push(`${f.distance} steps apart`);
  return parts.join(", ");
}
