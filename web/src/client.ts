// One urql client per signed-in token: normalised cache, HTTP for queries and mutations,
// graphql-ws (graphql-transport-ws) for subscriptions, the token on both.
import { Client, fetchExchange, mapExchange, subscriptionExchange } from "urql";
import { cacheExchange } from "@urql/exchange-graphcache";
import { createClient as createWsClient } from "graphql-ws";
import { cacheConfig } from "./cache";

export interface ApiClient {
  client: Client;
  close: () => void;
}

export function graphqlUrls(origin: string): { http: string; ws: string } {
  const http = `${origin.replace(/\/$/, "")}/graphql`;
  return { http, ws: http.replace(/^http/, "ws") };
}

const SIGN_IN_AGAIN = new Set(["UNAUTHENTICATED", "TOKEN_EXPIRED"]);

export function makeClient(token: string, onUnauthenticated: (message: string) => void): ApiClient {
  const urls = graphqlUrls(window.location.origin);
  const ws = createWsClient({
    url: urls.ws,
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: 20,
  });
  const client = new Client({
    url: urls.http,
    requestPolicy: "cache-and-network",
    preferGetMethod: false, // the API takes GraphQL over POST only
    fetchOptions: () => ({ headers: { Authorization: `Bearer ${token}` } }),
    exchanges: [
      mapExchange({
        onError(error) {
          // A refused token (expired, revoked) sends the person back to sign in.
          const refused = error.graphQLErrors.find((e) => SIGN_IN_AGAIN.has(String(e.extensions?.code)));
          if (refused) onUnauthenticated(refused.message);
        },
      }),
      cacheExchange(cacheConfig),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              return { unsubscribe: ws.subscribe(input, sink) };
            },
          };
        },
      }),
    ],
  });
  return { client, close: () => void ws.dispose() };
}
