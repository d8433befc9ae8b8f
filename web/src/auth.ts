// The signed-in token and what its claims say. The server checks every permission; the
// app only uses the claims to decide which screens and buttons to offer.

export type Role = "rep" | "manager" | "steward" | "analyst" | "integrator" | "admin";

export interface Session {
  token: string;
  sub: string;
  roles: Role[];
  scopes: string[];
  territory: string[];
  expiresAt: number | null; // epoch ms
}

const KEY = "c360.token";
const ROLES: readonly Role[] = ["rep", "manager", "steward", "analyst", "integrator", "admin"];

export class TokenError extends Error {}

function decodeSegment(segment: string): unknown {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Reads a JWT's claims (not its signature: the server verifies that) or says what is wrong. */
export function parseToken(raw: string, now: number = Date.now()): Session {
  const token = raw.trim().replace(/^Bearer\s+/i, "");
  if (!token) throw new TokenError("Paste a token first (make one with `c360 token`).");
  const parts = token.split(".");
  if (parts.length !== 3) {
    throw new TokenError(`This is not a token: expected three parts separated by dots, found ${parts.length}.`);
  }
  let claims: Record<string, unknown>;
  try {
    claims = decodeSegment(parts[1]) as Record<string, unknown>;
  } catch {
    throw new TokenError("This token's claims cannot be read: it was cut or changed while copying.");
  }
  if (typeof claims !== "object" || claims === null) throw new TokenError("This token has no claims.");
  const sub = typeof claims.sub === "string" ? claims.sub : "";
  if (!sub) throw new TokenError("This token does not say who it is for (no 'sub' claim).");
  const roles = Array.isArray(claims.roles)
    ? claims.roles.filter((r): r is Role => ROLES.includes(r as Role))
    : [];
  if (roles.length === 0) throw new TokenError("This token grants no known role.");
  const scope = claims.scope;
  const scopes = typeof scope === "string" ? scope.split(/\s+/).filter(Boolean) : Array.isArray(scope) ? scope.map(String) : [];
  const territory = Array.isArray(claims.territory) ? claims.territory.map(String) : [];
  const expiresAt = typeof claims.exp === "number" ? claims.exp * 1000 : null;
  if (expiresAt !== null && expiresAt <= now) {
    throw new TokenError(`This token expired at ${new Date(expiresAt).toLocaleString()}; make a new one.`);
  }
  return { token, sub, roles, scopes, territory, expiresAt };
}

export const can = {
  review: (s: Session) => s.roles.some((r) => r === "steward" || r === "admin"),
  logInteraction: (s: Session) => s.roles.some((r) => r === "rep" || r === "manager" || r === "admin"),
  readDecisions: (s: Session) => s.roles.some((r) => r !== "rep" && r !== "integrator"),
  subscribe: (s: Session) => s.roles.some((r) => r === "rep" || r === "manager" || r === "integrator" || r === "admin"),
  seesAll: (s: Session) => s.roles.some((r) => r !== "rep"),
  seesPii: (s: Session) => s.scopes.includes("pii"),
};

export function loadSession(storage: Pick<Storage, "getItem" | "removeItem"> = localStorage): Session | null {
  const raw = storage.getItem(KEY);
  if (!raw) return null;
  try {
    return parseToken(raw);
  } catch {
    storage.removeItem(KEY);
    return null;
  }
}

export function saveSession(session: Session, storage: Pick<Storage, "setItem"> = localStorage): void {
  storage.setItem(KEY, session.token);
}

export function clearSession(storage: Pick<Storage, "removeItem"> = localStorage): void {
  storage.removeItem(KEY);
}
