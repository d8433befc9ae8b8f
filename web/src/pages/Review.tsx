import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { can } from "../auth";
import { changedCustomers } from "../cache";
import { parseExplanation, percent } from "../format";
import type { Verdict } from "../gql/graphql";
import { MergeCustomers, ReviewDecision, ReviewQueue, SplitCustomer } from "../queries";
import { useSession } from "../session";
import { Empty, ErrorNote, Loading } from "../components/States";
import { Value } from "../components/Masked";

interface Outcome { text: string; customers: string[] }

/** The stewards' review queue: pairs side by side with the match explanation. */
export function ReviewPage() {
  const { session } = useSession();
  const [result, refetch] = useQuery({ query: ReviewQueue, variables: { first: 10, offset: 0 }, pause: !can.review(session) });
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  if (!can.review(session)) return <p className="state error" role="alert">The review queue is for stewards; your roles are {session.roles.join(", ")}.</p>;
  const items = result.data?.reviewQueue ?? [];
  return (
    <div className="review">
      <h1>Review queue</h1>
      {outcome && <OutcomeNote outcome={outcome} />}
      {result.fetching && !result.data && <Loading what="the review queue" />}
      <ErrorNote error={result.error} retry={() => refetch({ requestPolicy: "network-only" })} />
      {result.data && items.length === 0 && <Empty>Nothing waits for review.</Empty>}
      <ol className="pairs">
        {items.map((item) => (
          <Pair key={`${item.a}|${item.b}`} item={item} onDone={setOutcome} />
        ))}
      </ol>
      <MergeSplit onDone={setOutcome} />
    </div>
  );
}

function OutcomeNote({ outcome }: { outcome: Outcome }) {
  return (
    <div className="state ok" role="status" data-testid="review-outcome">
      {outcome.text}
      {outcome.customers.length > 0 && (
        <>
          {" "}Customers changed:{" "}
          {outcome.customers.map((id, i) => (
            <span key={id}>{i > 0 && ", "}<Link to={`/customers/${id}`}>{id}</Link></span>
          ))}
        </>
      )}
    </div>
  );
}

type Item = {
  a: string; b: string; aName?: string | null; bName?: string | null;
  aCustomers: string[]; bCustomers: string[]; score: number; explanation: unknown;
};

/** One side of a pair: the record's name, key and the customer it resolves to now. */
function Side({ name, recordKey, customers }: { name?: string | null; recordKey: string; customers: string[] }) {
  return (
    <span className="side">
      <strong className="record-name">{name ?? "(no name)"}</strong> <code>{recordKey}</code>
      {customers.map((id) => (
        <small key={id}> · <Link to={`/customers/${id}`}>{id}</Link></small>
      ))}
    </span>
  );
}

function Pair({ item, onDone }: { item: Item; onDone: (o: Outcome) => void }) {
  const [state, decide] = useMutation(ReviewDecision);
  const [reason, setReason] = useState("");
  const explanation = parseExplanation(item.explanation);

  async function verdict(v: Verdict, words: string) {
    const result = await decide({ a: item.a, b: item.b, verdict: v, reason: reason.trim() || words });
    if (!result.error && result.data) {
      const summary = result.data.reviewDecision.summary;
      onDone({ text: `${v === "ACCEPT" ? "Accepted" : v === "REJECT" ? "Rejected" : "Marked not sure"}: ${item.a} and ${item.b}.`, customers: changedCustomers(summary) });
    }
  }

  return (
    <li className="card pair" data-testid="review-pair">
      <h2>
        <Side name={item.aName} recordKey={item.a} customers={item.aCustomers} /> ↔{" "}
        <Side name={item.bName} recordKey={item.b} customers={item.bCustomers} />{" "}
        <span className="badge">match {percent(item.score, 1)}</span>
      </h2>
      <div className="scroll">
        <table className="side-by-side">
          <thead>
            <tr><th scope="col">Compared</th><th scope="col">{item.aName ?? "Record A"}</th><th scope="col">{item.bName ?? "Record B"}</th><th scope="col">Level</th><th scope="col">Weight</th></tr>
          </thead>
          <tbody>
            {explanation.contributions.map((c) => (
              <tr key={c.comparison} className={c.weight > 0 ? "for" : c.weight < 0 ? "against" : ""}>
                <th scope="row">{c.comparison}</th>
                <td><Value value={c.valueA} /></td>
                <td><Value value={c.valueB} /></td>
                <td>{c.label}</td>
                <td>{c.weight.toFixed(2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="actions">
        <label>
          Reason <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="why (optional)" />
        </label>
        <button type="button" disabled={state.fetching} onClick={() => verdict("ACCEPT", "same person (review queue)")}>Accept: same</button>
        <button type="button" disabled={state.fetching} onClick={() => verdict("REJECT", "different people (review queue)")}>Reject: different</button>
        <button type="button" disabled={state.fetching} onClick={() => verdict("UNSURE", "not sure (review queue)")}>Not sure</button>
      </div>
      <ErrorNote error={state.error} />
    </li>
  );
}

function MergeSplit({ onDone }: { onDone: (o: Outcome) => void }) {
  const [mergeState, merge] = useMutation(MergeCustomers);
  const [splitState, split] = useMutation(SplitCustomer);
  const [first, setFirst] = useState("");
  const [second, setSecond] = useState("");
  const [splitId, setSplitId] = useState("");
  const [records, setRecords] = useState("");
  const [reason, setReason] = useState("");

  return (
    <section className="panel" aria-labelledby="ms-h">
      <h2 id="ms-h">Merge or split customers</h2>
      <label>
        Reason (required) <input value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      <form onSubmit={async (e) => {
        e.preventDefault();
        const r = await merge({ first: first.trim(), second: second.trim(), reason: reason.trim() });
        if (!r.error && r.data) onDone({ text: `Merged ${second} into ${first}.`, customers: changedCustomers(r.data.mergeCustomers.summary) });
      }}>
        <label>Keep <input value={first} onChange={(e) => setFirst(e.target.value)} placeholder="customer id" required /></label>
        <label>Merge in <input value={second} onChange={(e) => setSecond(e.target.value)} placeholder="customer id" required /></label>
        <button type="submit" disabled={!reason.trim() || mergeState.fetching}>Merge</button>
        <ErrorNote error={mergeState.error} />
      </form>
      <form onSubmit={async (e) => {
        e.preventDefault();
        const keys = records.split(/[\s,]+/).filter(Boolean);
        const r = await split({ id: splitId.trim(), recordKeys: keys, reason: reason.trim() });
        if (!r.error && r.data) onDone({ text: `Split ${keys.length} record(s) out of ${splitId}.`, customers: changedCustomers(r.data.splitCustomer.summary) });
      }}>
        <label>Split customer <input value={splitId} onChange={(e) => setSplitId(e.target.value)} placeholder="customer id" required /></label>
        <label>Records to move out <input value={records} onChange={(e) => setRecords(e.target.value)} placeholder="crm:123, qbo:45" required /></label>
        <button type="submit" disabled={!reason.trim() || splitState.fetching}>Split</button>
        <ErrorNote error={splitState.error} />
      </form>
    </section>
  );
}
