import { useEffect, useRef, useState } from "react";
import { useSearchParams } from "react-router";
import { useQuery } from "urql";
import type { CustomerFilterInput, CustomerKind, CustomerSegment, CustomerStage } from "../gql/graphql";
import { SEGMENTS, STAGES, segmentLabel } from "../format";
import { CustomerPage, Search } from "../queries";
import { can } from "../auth";
import { useSession } from "../session";
import { CustomerCard } from "../components/CustomerCard";
import { Empty, ErrorNote, Loading } from "../components/States";

export const PARISHES = [
  "Kingston", "St. Andrew", "St. Thomas", "Portland", "St. Mary", "St. Ann", "Trelawny",
  "St. James", "Hanover", "Westmoreland", "St. Elizabeth", "Manchester", "Clarendon", "St. Catherine",
];
const PAGE = 20;

/** Search by name, email, phone or company (a typo per word is forgiven), or browse with filters. */
export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const parish = params.get("parish") ?? "";
  const kind = params.get("kind") ?? "";
  const stage = params.get("stage") ?? "";
  const segment = params.get("segment") ?? "";
  const { session } = useSession();
  // The server already limits a rep to their accounts and territory; "mine" narrows to owned ones.
  const mine = params.get("mine") === "1";
  const owner = params.get("owner") ?? "";
  const [ownerDraft, setOwnerDraft] = useState(owner);
  useEffect(() => setOwnerDraft(owner), [owner]);
  const [draft, setDraft] = useState(q);
  useEffect(() => setDraft(q), [q]);

  function update(changes: Record<string, string>) {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    setParams(next, { replace: true });
  }

  // Typing settles for a moment before the search runs.
  useEffect(() => {
    if (draft === q) return;
    const t = setTimeout(() => update({ q: draft.trim() }), 250);
    return () => clearTimeout(t);
  }, [draft]); // eslint-disable-line react-hooks/exhaustive-deps

  const filter: CustomerFilterInput = {
    parish: parish || null,
    kind: (kind || null) as CustomerKind | null,
    owner: mine ? session.sub : owner || null,
    stage: (stage || null) as CustomerStage | null,
    segment: (segment || null) as CustomerSegment | null,
  };

  return (
    <div className="search">
      <h1>Search</h1>
      <form className="filters" role="search" onSubmit={(e) => { e.preventDefault(); update({ q: draft.trim() }); }}>
        <label htmlFor="q" className="sr-only">Name, email, phone or company</label>
        <input id="q" type="search" placeholder="Name, email, phone or company" value={draft} onChange={(e) => setDraft(e.target.value)} autoFocus />
        <FilterSelect label="Parish" value={parish} options={PARISHES.map((p): [string, string] => [p, p])} onChange={(v) => update({ parish: v })} />
        <FilterSelect label="Kind" value={kind} options={KINDS} onChange={(v) => update({ kind: v })} />
        <FilterSelect label="Stage" value={stage} options={Object.entries(STAGES)} onChange={(v) => update({ stage: v })} />
        <FilterSelect label="Segment" value={segment} options={SEGMENTS.map((v): [string, string] => [v, segmentLabel(v)])} onChange={(v) => update({ segment: v })} />
        {can.seesAll(session) && !mine && (
          <label>
            Owner{" "}
            <input
              value={ownerDraft}
              placeholder="rep's name"
              onChange={(e) => setOwnerDraft(e.target.value)}
              onBlur={() => update({ owner: ownerDraft.trim() })}
              onKeyDown={(e) => {
                if (e.key === "Enter") {
                  e.preventDefault();
                  update({ owner: ownerDraft.trim() });
                }
              }}
            />
          </label>
        )}
        <label className="check">
          <input type="checkbox" checked={mine} onChange={(e) => update({ mine: e.target.checked ? "1" : "" })} /> only accounts I own
        </label>
      </form>
      {q ? <TextResults text={q} filter={filter} /> : <Browse filter={filter} />}
    </div>
  );
}

const KINDS: [string, string][] = [["PERSON", "person"], ["BUSINESS", "business"]];

/** One filter of the search form: "any" or one of `options` ([value, words]). */
function FilterSelect(props: { label: string; value: string; options: [string, string][]; onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}{" "}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">any</option>
        {props.options.map(([value, words]) => (
          <option key={value} value={value}>{words}</option>
        ))}
      </select>
    </label>
  );
}

type Filter = CustomerFilterInput;

/** Whether any filter narrows the list. */
function filtered(filter: Filter): boolean {
  return Object.values(filter).some((v) => v !== null && v !== undefined && v !== "");
}

function TextResults({ text, filter }: { text: string; filter: Filter }) {
  // The server applies the filters inside its search, before the best 50 are taken.
  const [result, refetch] = useQuery({ query: Search, variables: { text, first: 50, filter } });
  if (result.fetching && !result.data) return <Loading what="matches" />;
  if (result.error) return <ErrorNote error={result.error} retry={() => refetch({ requestPolicy: "network-only" })} />;
  const hits = result.data?.search ?? [];
  if (hits.length === 0) return <Empty>No customer matches “{text}”{filtered(filter) ? " with these filters" : ""}.</Empty>;
  return (
    <ul className="cards results" aria-label="Search results">
      {hits.map((h) => (
        <CustomerCard key={h.customer.id} customer={h.customer} />
      ))}
    </ul>
  );
}

function Browse({ filter }: { filter: Filter }) {
  // Infinite scroll over the cursor pages: one cursor per page loaded so far.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const key = JSON.stringify(filter);
  useEffect(() => setCursors([null]), [key]);
  return (
    <ul className="cards results" aria-label="Customers">
      {cursors.map((after, i) => (
        <BrowsePage key={`${key}:${after}`} filter={filter} after={after} last={i === cursors.length - 1} onMore={(next) => setCursors((c) => (c.includes(next) ? c : [...c, next]))} />
      ))}
    </ul>
  );
}

function BrowsePage({ filter, after, last, onMore }: { filter: Filter; after: string | null; last: boolean; onMore: (cursor: string) => void }) {
  const [result, refetch] = useQuery({ query: CustomerPage, variables: { filter, first: PAGE, after } });
  const sentinel = useRef<HTMLLIElement>(null);
  const page = result.data?.customers;
  useEffect(() => {
    const node = sentinel.current;
    if (!last || !node || !page?.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
    const cursor = page.pageInfo.endCursor;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) onMore(cursor);
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [last, page, onMore]);
  if (result.fetching && !page) return <li><Loading what="customers" /></li>;
  if (result.error) return <li><ErrorNote error={result.error} retry={() => refetch({ requestPolicy: "network-only" })} /></li>;
  if (!page) return null;
  if (!after && page.edges.length === 0) return <li><Empty>No customers with these filters.</Empty></li>;
  return (
    <>
      {page.edges.map((e) => (
        <CustomerCard key={e.node.id} customer={e.node} />
      ))}
      {last && page.pageInfo.hasNextPage && page.pageInfo.endCursor && (
        <li ref={sentinel} className="more">
          <button type="button" onClick={() => onMore(page.pageInfo.endCursor!)}>
            Load more
          </button>
        </li>
      )}
      {last && !page.pageInfo.hasNextPage && <li className="end">End of the list.</li>}
    </>
  );
}
