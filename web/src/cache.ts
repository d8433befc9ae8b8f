// The normalised cache: how entities are keyed, and how mutations and pushed alerts
// update what is already on screen without a refetch.
import type { Cache, CacheExchangeOpts } from "@urql/exchange-graphcache";
import schema from "./gql/introspection";
import type {
  AlertPartsFragment,
  AlertsLiveSubscription,
  CustomerInteractionsQuery,
  MyAlertsQuery,
  RecordInteractionMutation,
  RecordInteractionMutationVariables,
  ReviewDecisionMutation,
} from "./gql/graphql";
import { CustomerInteractions, MyAlerts } from "./queries";

const embedded = () => null; // value objects without an identity of their own

/** Customer ids a steward's action changed, from its summary (JSON). */
export function changedCustomers(summary: unknown): string[] {
  if (typeof summary !== "object" || summary === null) return [];
  const ids = (summary as Record<string, unknown>).changed_customers;
  return Array.isArray(ids) ? ids.map(String) : [];
}

/** A new alert goes on top of the rep's open alerts and of its customer's alerts, once. */
export function addAlert(cache: Cache, alert: AlertPartsFragment, repIds: (string | null)[]): void {
  for (const repId of repIds) {
    cache.updateQuery<MyAlertsQuery>({ query: MyAlerts, variables: { repId } }, (data) => {
      if (!data || data.alerts.items.some((a) => a.id === alert.id)) return data;
      return { ...data, alerts: { ...data.alerts, items: [alert, ...data.alerts.items] } };
    });
  }
  if (alert.customerId) {
    const key = cache.keyOfEntity({ __typename: "Customer", id: alert.customerId });
    const current = key ? cache.resolve(key, "alerts") : null;
    if (key && Array.isArray(current)) {
      const alertKey = cache.keyOfEntity({ __typename: "Alert", id: alert.id });
      if (alertKey && !current.includes(alertKey)) cache.link(key, "alerts", [alertKey, ...(current as string[])]);
    }
  }
}

/** Forget the review queue and the customers a verdict, merge or split changed: they refetch. */
export function afterStewardAction(cache: Cache, summary: unknown): void {
  for (const field of cache.inspectFields("Query")) {
    if (field.fieldName === "reviewQueue") cache.invalidate("Query", field.fieldName, field.arguments ?? undefined);
  }
  for (const id of changedCustomers(summary)) cache.invalidate({ __typename: "Customer", id });
}

export const cacheConfig: CacheExchangeOpts = {
  schema,
  keys: {
    Address: embedded,
    GoldenField: embedded,
    Relationship: embedded,
    PredictedLink: embedded,
    SearchHit: embedded,
    Scores: embedded,
    PageInfo: embedded,
    CustomerEdge: embedded,
    CustomerConnection: embedded,
    InteractionList: embedded,
    TransactionList: embedded,
    AlertConnection: embedded,
    AlertEvent: embedded,
    CustomerChange: embedded,
    ResolveResult: embedded,
    Path: embedded,
    PathStep: embedded,
    WebhookDelivery: embedded,
    Interaction: (i) => (i.key as string) ?? null,
    Transaction: (t) => (t.key as string) ?? null,
    SourceRecord: (r) => (r.key as string) ?? null,
    ReviewItem: (r) => `${r.a as string}|${r.b as string}`,
  },
  updates: {
    Mutation: {
      recordInteraction(result, args, cache) {
        const written = (result as RecordInteractionMutation).recordInteraction;
        const { input } = args as RecordInteractionMutationVariables;
        cache.updateQuery<CustomerInteractionsQuery>(
          { query: CustomerInteractions, variables: { id: String(input.customerId) } },
          (data) => {
            if (!data || data.customer.interactions.items.some((i) => i.key === written.key)) return data;
            const list = data.customer.interactions;
            return {
              ...data,
              customer: {
                ...data.customer,
                interactions: { ...list, total: list.total + 1, items: [written, ...list.items] },
              },
            };
          },
        );
      },
      reviewDecision(result, _args, cache) {
        afterStewardAction(cache, (result as ReviewDecisionMutation).reviewDecision.summary);
      },
      mergeCustomers(result, _args, cache) {
        afterStewardAction(cache, (result.mergeCustomers as { summary: unknown }).summary);
      },
      splitCustomer(result, _args, cache) {
        afterStewardAction(cache, (result.splitCustomer as { summary: unknown }).summary);
      },
    },
    Subscription: {
      alerts(result, args, cache) {
        const event = (result as AlertsLiveSubscription).alerts;
        addAlert(cache, event.alert, [String(args.repId), null]);
      },
    },
  },
};
