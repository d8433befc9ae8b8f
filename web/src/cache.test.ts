// The normalised cache's updates, through a real urql client whose network is a stub.
import { describe, expect, it } from "vitest";
import { Client, makeResult, type Exchange, type Operation } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { filter, fromValue, makeSubject, map, merge, mergeMap, pipe, type Subject } from "wonka";
import { cacheConfig, changedCustomers } from "./cache";
import { CustomerInteractions, MyAlerts, AlertsLive, RecordInteraction, ReviewDecision, ReviewQueue } from "./queries";

type Answer = (op: Operation) => Record<string, unknown>;

/** A client whose network answers from `answers` (by operation name); subscription events
 * are pushed by hand onto the subscription operation the client sent. */
function stubClient(answers: Record<string, Answer>) {
  const pushed: Subject<Record<string, unknown>> = makeSubject();
  const sent: string[] = [];
  let live: Operation | null = null;
  const network: Exchange = () => (ops$) => {
    const fetched = pipe(
      ops$,
      filter((op) => {
        if (op.kind === "subscription") live = op;
        return op.kind !== "teardown" && op.kind !== "subscription";
      }),
      mergeMap((op) => {
        const name = (op.query.definitions[0] as { name?: { value: string } }).name?.value ?? "";
        sent.push(name);
        const answer = answers[name];
        if (!answer) throw new Error(`no stub answer for ${name}`);
        return fromValue(makeResult(op, { data: answer(op) }));
      }),
    );
    const events = pipe(
      pushed.source,
      map((data) => {
        if (!live) throw new Error("an event pushed before any subscription");
        return makeResult(live, { data });
      }),
    );
    return merge([fetched, events]);
  };
  const client = new Client({ url: "http://stub/graphql", exchanges: [cacheExchange(cacheConfig), network] });
  return { client, sent, push: (data: Record<string, unknown>) => pushed.next(data) };
}

const interaction = (key: string, subject: string) => ({
  __typename: "Interaction", key, type: "call", occurredAt: "2025-01-01T10:00:00Z", subject, notes: null, outcome: null, rep: "Ann",
});

const alert = (id: string, customerId: string) => ({
  __typename: "Alert", id, ruleName: "big call", customerId, rep: "Ann", status: "open", message: `alert ${id}`, at: 1, eventKind: "interaction.recorded",
});

describe("cache updates", () => {
  it("a logged interaction goes on top of the customer's timeline without a refetch", async () => {
    const { client, sent } = stubClient({
      CustomerInteractions: () => ({
        customer: { __typename: "Customer", id: "C1", interactions: { __typename: "InteractionList", total: 1, items: [interaction("i1", "old")] } },
      }),
      RecordInteraction: () => ({ recordInteraction: interaction("i2", "new visit") }),
    });
    await client.query(CustomerInteractions, { id: "C1" }).toPromise();
    const result = await client
      .mutation(RecordInteraction, { input: { customerId: "C1", type: "call", occurredAt: "2025-01-02T10:00:00Z", subject: "new visit" } })
      .toPromise();
    expect(result.error).toBeUndefined();
    const cached = client.readQuery(CustomerInteractions, { id: "C1" });
    expect(cached?.data?.customer.interactions.total).toBe(2);
    expect(cached?.data?.customer.interactions.items.map((i) => i.key)).toEqual(["i2", "i1"]);
    expect(sent.filter((n) => n === "CustomerInteractions")).toHaveLength(1);
  });

  it("a pushed alert joins the rep's open alerts once, even when pushed twice", async () => {
    const { client, push } = stubClient({
      MyAlerts: () => ({ alerts: { __typename: "AlertConnection", items: [alert("a1", "C1")], hasNextPage: false } }),
    });
    await client.query(MyAlerts, { repId: "Ann" }).toPromise();
    const received: string[] = [];
    const handle = client.subscription(AlertsLive, { repId: "Ann" }).subscribe((r) => received.push(r.data?.alerts.alert.id ?? "?"));
    const event = { alerts: { __typename: "AlertEvent", eventId: "e2", alert: alert("a2", "C1") } };
    push(event);
    push(event);
    handle.unsubscribe();
    expect(received).toEqual(["a2", "a2"]);
    const cached = client.readQuery(MyAlerts, { repId: "Ann" });
    expect(cached?.data?.alerts.items.map((a) => a.id)).toEqual(["a2", "a1"]);
  });

  it("an accepted pair drops out of the review queue and refetches the changed customers", async () => {
    let queue = [{ __typename: "ReviewItem", a: "crm:1", b: "qbo:2", status: "review", score: 0.9, explanation: "{}" }];
    const { client, sent } = stubClient({
      ReviewQueue: () => ({ reviewQueue: queue }),
      ReviewDecision: () => {
        queue = [];
        return { reviewDecision: { __typename: "ResolveResult", summary: { changed_customers: ["C1"], decisions: ["D1"] } } };
      },
    });
    await client.query(ReviewQueue, { first: 10, offset: 0 }).toPromise();
    await client.mutation(ReviewDecision, { a: "crm:1", b: "qbo:2", verdict: "ACCEPT", reason: "same" }).toPromise();
    const again = await client.query(ReviewQueue, { first: 10, offset: 0 }).toPromise();
    expect(again.data?.reviewQueue).toEqual([]);
    expect(sent.filter((n) => n === "ReviewQueue")).toHaveLength(2);
  });

  it("reads the changed customers of a steward's summary, and none from a bad one", () => {
    expect(changedCustomers({ changed_customers: ["C1", "C2"] })).toEqual(["C1", "C2"]);
    expect(changedCustomers(null)).toEqual([]);
    expect(changedCustomers({ changed_customers: "C1" })).toEqual([]);
  });
});

