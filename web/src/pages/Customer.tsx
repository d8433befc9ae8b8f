import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { can } from "../auth";
import type { CustomerViewQuery } from "../gql/graphql";
import { label, linkFeatures, money, parseFactor, percent, score, segmentLabel, showValue, stageLabel, timeline, when } from "../format";
import { CustomerChanged, CustomerView, RecordInteraction } from "../queries";
import { useSession } from "../session";
import { Value } from "../components/Masked";
import { Empty, ErrorNote, Loading } from "../components/States";

type Customer = CustomerViewQuery["customer"];

/** The 360 view of one customer. */
export function CustomerPage() {
  const { id = "" } = useParams();
  const { session } = useSession();
  const [result, refetch] = useQuery({ query: CustomerView, variables: { id, withDecisions: can.readDecisions(session) } });
  const customer = result.data?.customer;
  // Someone else changed this customer (a merge, an edit, a new interaction): fetch it again.
  const [changed] = useSubscription({ query: CustomerChanged, variables: { id }, pause: !can.subscribe(session) });
  const lastChange = changed.data?.customerChanged.eventId;
  useEffect(() => {
    if (lastChange) refetch({ requestPolicy: "network-only" });
  }, [lastChange]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    if (customer?.name) document.title = `${customer.name} · c360`;
  }, [customer?.name]);

  if (result.fetching && !customer) return <Loading what="the customer" />;
  if (result.error && !customer) return <ErrorNote error={result.error} retry={() => refetch({ requestPolicy: "network-only" })} />;
  if (!customer) return <Empty>No customer {id}.</Empty>;

  return (
    <article className="c360" data-testid="customer-360" aria-labelledby="c-name">
      <header className="c360-head">
        <h1 id="c-name">{customer.name ?? customer.id}</h1>
        <p className="meta">
          {customer.kind} · {customer.parish ?? "parish unknown"}
          {customer.city ? `, ${customer.city}` : ""} · owner {customer.owner ?? "none"} · <code>{customer.id}</code>
        </p>
        <p className="tags" data-testid="stage">
          <span className={`badge stage-${customer.stage.toLowerCase()}`}>{stageLabel(customer.stage)}</span>{" "}
          <span className="badge">{segmentLabel(customer.segment)}</span>
        </p>
        {customer.requestedId !== customer.id && (
          <p className="state notice" role="status">
            {customer.requestedId} was merged into this customer.
          </p>
        )}
        <div className="completeness" aria-label={`Completeness ${percent(customer.completeness)}`}>
          <div className="bar" style={{ width: percent(customer.completeness) }} />
          <span>{percent(customer.completeness)} complete · {customer.recordCount} records from {customer.sources.join(", ")}</span>
        </div>
        <p>
          <Link to={`/customers/${customer.id}/map`}>Relationship map</Link>
        </p>
      </header>
      <div className="grid">
        <Contacts customer={customer} />
        <Alerts customer={customer} />
        <Timeline customer={customer} canLog={can.logInteraction(session)} />
        <Golden customer={customer} />
        <Scores customer={customer} />
        <Relations customer={customer} />
        <PredictedLinks customer={customer} />
        <Records customer={customer} />
        {customer.decisions && <Decisions customer={customer} />}
      </div>
    </article>
  );
}

function Golden({ customer }: { customer: Customer }) {
  return (
    <section className="panel" aria-labelledby="golden-h">
      <h2 id="golden-h">Golden record</h2>
      <table className="golden">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Value</th>
            <th scope="col">Source</th>
          </tr>
        </thead>
        <tbody>
          {customer.fields.map((f) => (
            <tr key={f.name}>
              <th scope="row">{label(f.name)}</th>
              <td>
                <Value value={showValue(f.value)} />
              </td>
              <td className="sources">{f.sources.join(", ") || "derived"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Contacts({ customer }: { customer: Customer }) {
  const handles = [...new Set(customer.records.flatMap((r) => r.handles))];
  const websites = [...new Set(customer.records.flatMap((r) => r.websites))];
  return (
    <section className="panel" aria-labelledby="contacts-h" data-testid="contacts">
      <h2 id="contacts-h">Contact points</h2>
      <dl>
        <dt>Email</dt>
        <dd>{customer.emails.length ? customer.emails.map((e) => <div key={e}><Value value={e} /></div>) : <Value value={customer.email} />}</dd>
        <dt>Phone</dt>
        <dd>{customer.phones.length ? customer.phones.map((p) => <div key={p}><Value value={p} /></div>) : <Value value={customer.phone} />}</dd>
        <dt>Address</dt>
        <dd><Value value={customer.address} /></dd>
        <dt>Date of birth</dt>
        <dd><Value value={customer.dob} /></dd>
        {handles.length > 0 && (<><dt>Social</dt><dd>{handles.join(", ")}</dd></>)}
        {websites.length > 0 && (<><dt>Web</dt><dd>{websites.join(", ")}</dd></>)}
      </dl>
    </section>
  );
}

function Factors({ items, what }: { items: string[] | null | undefined; what: string }) {
  if (!items || items.length === 0) return null;
  return (
    <ul className="factors" aria-label={`Top factors of the ${what}`}>
      {items.map((text) => {
        const f = parseFactor(text);
        const moves = f.direction === "up" ? "raises" : f.direction === "down" ? "lowers" : "moves";
        return (
          <li key={text} className={f.direction ?? ""}>
            <span aria-hidden="true">{f.direction === "up" ? "▲" : f.direction === "down" ? "▼" : "•"}</span>{" "}
            {label(f.feature)} {f.value && <strong>{f.value}</strong>}{" "}
            <small>{moves} it{f.change !== null ? ` (${f.change > 0 ? "+" : ""}${f.change})` : ""}</small>
          </li>
        );
      })}
    </ul>
  );
}

function Scores({ customer }: { customer: Customer }) {
  const s = customer.scores;
  const none = [s.churnRisk, s.leadScore, s.lifetimeValue, s.influence].every((v) => v === null);
  return (
    <section className="panel" aria-labelledby="scores-h" data-testid="scores">
      <h2 id="scores-h">Scores</h2>
      {none ? (
        <Empty>No scores yet: the models have not run on this customer.</Empty>
      ) : (
        <>
          <dl className="scores">
            <dt>Churn risk</dt><dd>{percent(s.churnRisk)}<Factors items={s.churnFactors} what="churn risk" /></dd>
            <dt>Lead score</dt><dd>{score(s.leadScore)}<Factors items={s.leadFactors} what="lead score" /></dd>
            <dt>Lifetime value</dt><dd>{money(s.lifetimeValue)}<Factors items={s.valueFactors} what="lifetime value" /></dd>
            <dt>Influence</dt><dd>{score(s.influence)}</dd>
            <dt>Community</dt><dd>{s.community ?? "—"}</dd>
          </dl>
          {s.scoresModel && (
            <p className="meta">
              Model {s.scoresModel}, {when(s.scoresAt)}
              {s.scoresBasis === "insufficient_history" && " · no dated activity yet: base rates, not this customer's history"}
            </p>
          )}
        </>
      )}
    </section>
  );
}

function PredictedLinks({ customer }: { customer: Customer }) {
  const links = customer.predictedLinks;
  return (
    <section className="panel" aria-labelledby="plinks-h" data-testid="predicted-links">
      <h2 id="plinks-h">Predicted links</h2>
      {links.length === 0 ? (
        <Empty>The link model predicts no one for this customer.</Empty>
      ) : (
        <ul>
          {links.map((p, i) => (
            <li key={p.other?.id ?? `hidden-${i}`}>
              {p.other ? (
                <Link to={`/customers/${p.other.id}`}>{p.other.name ?? p.other.id}</Link>
              ) : (
                <span className="masked" title="outside your accounts">a customer outside your accounts</span>
              )}{" "}
              <span className="badge">{percent(p.probability)}</span>
              <small>
                {" "}
                {linkFeatures(p.features)}
              </small>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}


function Alerts({ customer }: { customer: Customer }) {
  return (
    <section className="panel" aria-labelledby="calerts-h">
      <h2 id="calerts-h">Open alerts</h2>
      {customer.alerts.length === 0 ? (
        <Empty>No open alerts about this customer.</Empty>
      ) : (
        <ul>
          {customer.alerts.map((a) => (
            <li key={a.id}>
              {a.message ?? a.ruleName} <small>{when(a.at)} · {a.status}</small>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const TYPES = ["call", "visit", "email", "meeting"];

function LogInteraction({ customerId }: { customerId: string }) {
  const [state, record] = useMutation(RecordInteraction);
  const [type, setType] = useState("call");
  const [subject, setSubject] = useState("");
  const [notes, setNotes] = useState("");
  const [outcome, setOutcome] = useState("");
  const [saved, setSaved] = useState<string | null>(null);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setSaved(null);
    const result = await record({
      input: {
        customerId, type, occurredAt: new Date().toISOString(), subject: subject.trim() || null,
        notes: notes.trim() || null, outcome: outcome.trim() || null, idempotencyKey: crypto.randomUUID(),
      },
    });
    if (!result.error) {
      setSaved(`Logged the ${type}.`);
      setSubject("");
      setNotes("");
      setOutcome("");
    }
  }

  return (
    <form className="log" onSubmit={submit} aria-label="Log an interaction">
      <fieldset>
        <legend>Log an interaction</legend>
        <label>
          Type{" "}
          <select value={type} onChange={(e) => setType(e.target.value)} name="type">
            {TYPES.map((t) => (
              <option key={t} value={t}>{label(t)}</option>
            ))}
          </select>
        </label>
        <label>
          Subject <input name="subject" value={subject} maxLength={200} onChange={(e) => setSubject(e.target.value)} required />
        </label>
        <label>
          Notes <textarea name="notes" value={notes} maxLength={10000} rows={3} onChange={(e) => setNotes(e.target.value)} />
        </label>
        <label>
          Outcome <input name="outcome" value={outcome} maxLength={80} onChange={(e) => setOutcome(e.target.value)} />
        </label>
        <button type="submit" disabled={state.fetching}>{state.fetching ? "Saving…" : "Log it"}</button>
        <ErrorNote error={state.error} />
        {saved && <p role="status" className="state ok">{saved}</p>}
      </fieldset>
    </form>
  );
}

function Timeline({ customer, canLog }: { customer: Customer; canLog: boolean }) {
  const entries = timeline(customer.interactions.items, customer.transactions.items);
  return (
    <section className="panel wide" aria-labelledby="timeline-h" data-testid="timeline">
      <h2 id="timeline-h">
        Timeline <small>{customer.interactions.total} interactions, {customer.transactions.total} transactions</small>
      </h2>
      {canLog && <LogInteraction customerId={customer.id} />}
      {entries.length === 0 ? (
        <Empty>No interactions or transactions yet.</Empty>
      ) : (
        <ol className="timeline">
          {entries.map((e) => (
            <li key={e.key} className={e.kind}>
              <time>{when(e.at)}</time> <strong>{e.title}</strong>
              {e.detail && <div className="detail">{e.detail}</div>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Refs({ items }: { items: { id: string; name: string | null }[] }) {
  if (items.length === 0) return <span className="absent">none</span>;
  return (
    <>
      {items.map((r, i) => (
        <span key={r.id}>
          {i > 0 && ", "}
          <Link to={`/customers/${r.id}`}>{r.name ?? r.id}</Link>
        </span>
      ))}
    </>
  );
}

function Relations({ customer }: { customer: Customer }) {
  const others = customer.relationships.filter((r) => r.type !== "REFERRED");
  return (
    <section className="panel" aria-labelledby="rel-h">
      <h2 id="rel-h">Referrals and relationships</h2>
      <dl>
        <dt>Referred by</dt><dd><Refs items={customer.referralsIn} /></dd>
        <dt>Referred</dt><dd><Refs items={customer.referralsOut} /></dd>
        {customer.employers.length > 0 && (<><dt>Works at</dt><dd><Refs items={customer.employers} /></dd></>)}
        {customer.staff.length > 0 && (<><dt>Staff</dt><dd><Refs items={customer.staff} /></dd></>)}
      </dl>
      {others.length > 0 && (
        <ul>
          {others.map((r) => (
            <li key={`${r.type}:${r.direction}:${r.other.id}`}>
              {label(r.type.toLowerCase())} <Link to={`/customers/${r.other.id}`}>{r.other.name ?? r.other.id}</Link>
              {r.strength != null && <small> · strength {score(r.strength)}</small>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Records({ customer }: { customer: Customer }) {
  return (
    <section className="panel wide" aria-labelledby="records-h" data-testid="records">
      <h2 id="records-h">Source records</h2>
      <table>
        <thead>
          <tr><th scope="col">Record</th><th scope="col">Name</th><th scope="col">Emails / phones</th><th scope="col">Match</th></tr>
        </thead>
        <tbody>
          {customer.records.map((r) => (
            <tr key={r.key}>
              <td><code>{r.key}</code></td>
              <td>{r.name ?? "—"}</td>
              <td>{[...r.emails, ...r.phones].map((v) => <div key={v}><Value value={v} /></div>)}</td>
              <td>{r.confidence != null ? `${percent(r.confidence)} ${r.rule ?? ""}` : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Decisions({ customer }: { customer: Customer }) {
  const decisions = customer.decisions ?? [];
  return (
    <section className="panel wide" aria-labelledby="dec-h">
      <h2 id="dec-h">Decisions</h2>
      {decisions.length === 0 ? <Empty>No decisions recorded.</Empty> : (
        <ul>
          {decisions.map((d) => (
            <li key={d.id}>{when(d.at)} · <strong>{d.action}</strong> by {d.actor}: {d.reason}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
