import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { can } from "../auth";
import { percent, score, topBy, when } from "../format";
import { CustomerPage, MyAlerts, SetAlertStatus } from "../queries";
import { useSession } from "../session";
import { Empty, ErrorNote, Loading } from "../components/States";
import { CustomerCard } from "../components/CustomerCard";

/** "My day": the rep's open alerts (live), top leads by score, customers at risk of churning. */
export function MyDay() {
  const { session } = useSession();
  const repId = can.seesAll(session) ? null : session.sub;
  const [alerts, refetchAlerts] = useQuery({ query: MyAlerts, variables: { repId } });
  const [, setStatus] = useMutation(SetAlertStatus);
  // Reps: their own accounts. Others: the first page of everyone.
  const [accounts, refetchAccounts] = useQuery({
    query: CustomerPage,
    variables: { filter: repId ? { owner: repId } : null, first: 50, after: null },
  });
  const customers = accounts.data?.customers.edges.map((e) => e.node) ?? [];
  const leads = topBy(customers, (c) => c.scores.leadScore);
  const atRisk = topBy(customers, (c) => c.scores.churnRisk);
  const items = alerts.data?.alerts.items.filter((a) => a.status === "open") ?? [];

  return (
    <div className="myday">
      <h1>My day</h1>
      <section aria-labelledby="alerts-h" className="panel" data-testid="my-alerts">
        <h2 id="alerts-h">
          Alerts <span className="count">{items.length}</span>
        </h2>
        {alerts.fetching && !alerts.data && <Loading what="alerts" />}
        <ErrorNote error={alerts.error} retry={() => refetchAlerts({ requestPolicy: "network-only" })} />
        {alerts.data && items.length === 0 && <Empty>No open alerts. New ones appear here as they happen.</Empty>}
        <ul className="alerts">
          {items.map((a) => (
            <li key={a.id} className="card alert" data-testid="alert-item">
              <span className="message">{a.message ?? a.ruleName}</span>
              <span className="meta">
                {when(a.at)} {a.ruleName ? `· ${a.ruleName}` : ""}
              </span>
              <span className="actions">
                {a.customerId && <Link to={`/customers/${a.customerId}`}>Open customer</Link>}
                <button type="button" onClick={() => setStatus({ id: a.id, status: "ACKNOWLEDGED" })}>
                  Acknowledge
                </button>
              </span>
            </li>
          ))}
        </ul>
      </section>
      <div className="columns">
        <section aria-labelledby="leads-h" className="panel">
          <h2 id="leads-h">Top leads</h2>
          {accounts.fetching && !accounts.data && <Loading what="your accounts" />}
          <ErrorNote error={accounts.error} retry={() => refetchAccounts({ requestPolicy: "network-only" })} />
          {accounts.data && leads.length === 0 && <Empty>No lead scores yet: the scoring models have not run on {repId ? "your accounts" : "these customers"}.</Empty>}
          <ul className="cards">
            {leads.map((c) => (
              <CustomerCard key={c.id} customer={c} extra={<span className="badge">lead {score(c.scores.leadScore)}</span>} />
            ))}
          </ul>
        </section>
        <section aria-labelledby="churn-h" className="panel">
          <h2 id="churn-h">At risk of churning</h2>
          <p>
            <Link to={`/search?stage=AT_RISK${repId ? "&mine=1" : ""}`}>Every account at risk</Link>
            {" · "}
            <Link to={`/search?stage=LAPSED${repId ? "&mine=1" : ""}`}>lapsed</Link>
          </p>
          {accounts.data && atRisk.length === 0 && <Empty>No churn scores yet: the scoring models have not run.</Empty>}
          <ul className="cards">
            {atRisk.map((c) => (
              <CustomerCard key={c.id} customer={c} extra={<span className="badge warn">churn {percent(c.scores.churnRisk)}</span>} />
            ))}
          </ul>
        </section>
      </div>
      {accounts.data && (
        <section className="panel" aria-labelledby="accounts-h">
          <h2 id="accounts-h">{repId ? "Your accounts" : "Customers"}</h2>
          {customers.length === 0 ? (
            <Empty>{repId ? "No accounts are assigned to you." : "No customers yet."}</Empty>
          ) : (
            <p>
              {customers.length}
              {accounts.data.customers.pageInfo.hasNextPage ? "+" : ""} customers. <Link to="/search">Search and filter them</Link>.
            </p>
          )}
        </section>
      )}
    </div>
  );
}
