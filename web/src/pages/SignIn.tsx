import { useState } from "react";
import { stringifyDocument } from "@urql/core";
import { parseToken, TokenError, type Session } from "../auth";
import { WhoAmI } from "../queries";

/** Sign in with a bearer token (dev tokens: `c360 token --role rep --sub "Your Name"`). */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (s: Session) => void; notice: string | null }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setError(null);
    let session: Session;
    try {
      session = parseToken(text);
    } catch (exc) {
      setError(exc instanceof TokenError ? exc.message : String(exc));
      return;
    }
    setBusy(true);
    try {
      // Ask the server once, so a token it refuses is said here and not on every screen.
      const response = await fetch("/graphql", {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${session.token}` },
        body: JSON.stringify({ query: stringifyDocument(WhoAmI) }),
      });
      const body = (await response.json().catch(() => null)) as { errors?: { message: string }[] } | null;
      if (!response.ok || body?.errors?.length) {
        const message = body?.errors?.[0]?.message ?? `the server answered ${response.status}`;
        setError(`The server refused this token: ${message}`);
        return;
      }
      onSignedIn(session);
    } catch (exc) {
      setError(`Cannot reach the c360 server: ${(exc as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin" id="main">
      <h1>c360</h1>
      <p>Sign in with your access token.</p>
      {notice && (
        <p className="state error" role="alert">
          {notice}
        </p>
      )}
      <form onSubmit={submit}>
        <label htmlFor="token">Token</label>
        <textarea id="token" name="token" rows={5} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} autoComplete="off" placeholder="eyJhbGciOi…" />
        {error && (
          <p className="state error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
      <p className="hint">
        A developer token: <code>c360 token --role rep --sub "Your Name"</code>
      </p>
    </main>
  );
}
