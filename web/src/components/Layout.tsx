import { useEffect, useState } from "react";
import { NavLink, useNavigate } from "react-router";
import { useSubscription } from "urql";
import { can } from "../auth";
import { AlertsLive } from "../queries";
import { useSession } from "../session";

/** The frame of every signed-in page: navigation, who is signed in, and live alerts. */
export function Layout({ children }: { children: React.ReactNode }) {
  const { session, signOut } = useSession();
  const navigate = useNavigate();
  const [latest, setLatest] = useState<{ id: string; message: string; customerId: string | null } | null>(null);
  const [live] = useSubscription({ query: AlertsLive, variables: { repId: session.sub }, pause: !can.subscribe(session) });

  useEffect(() => {
    const alert = live.data?.alerts.alert;
    if (alert) setLatest({ id: alert.id, message: alert.message ?? alert.ruleName ?? "New alert", customerId: alert.customerId });
  }, [live.data]);

  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <NavLink to="/" className="brand">
          c360
        </NavLink>
        <nav aria-label="Main">
          <NavLink to="/" end>
            My day
          </NavLink>
          <NavLink to="/search">Search</NavLink>
          {can.review(session) && <NavLink to="/review">Review queue</NavLink>}
        </nav>
        <div className="who">
          <span title={session.roles.join(", ")}>
            {session.sub} <small>({session.roles.join(", ")}{can.seesPii(session) ? ", pii" : ""})</small>
          </span>
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="live" aria-live="polite" data-testid="live-status">
        {can.subscribe(session) && live.error ? <span className="error">Live alerts are not connected: {live.error.message}</span> : null}
        {latest && (
          <div className="toast" role="status" data-testid="alert-toast">
            <strong>New alert:</strong> {latest.message}
            {latest.customerId && (
              <button type="button" className="link" onClick={() => navigate(`/customers/${latest.customerId}`)}>
                Open customer
              </button>
            )}
            <button type="button" className="link" aria-label="Dismiss alert" onClick={() => setLatest(null)}>
              ×
            </button>
          </div>
        )}
      </div>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
