// Every GraphQL document the app sends; codegen types them from the server's schema.
import { graphql } from "./gql";

export const WhoAmI = graphql(`
  query WhoAmI {
    alerts(first: 1) { items { id } }
  }
`);

export const MyAlerts = graphql(`
  query MyAlerts($repId: String) {
    alerts(status: OPEN, repId: $repId, first: 20) {
      items { ...AlertParts }
      hasNextPage
    }
  }
  fragment AlertParts on Alert {
    id ruleName customerId rep status message at eventKind
  }
`);

export const AlertsLive = graphql(`
  subscription AlertsLive($repId: String!) {
    alerts(repId: $repId) {
      eventId
      alert { ...AlertParts }
    }
  }
`);

export const SetAlertStatus = graphql(`
  mutation SetAlertStatus($id: ID!, $status: AlertStatus!) {
    setAlertStatus(id: $id, status: $status) { id status }
  }
`);

export const CustomerPage = graphql(`
  query CustomerPage($filter: CustomerFilterInput, $first: Int!, $after: String) {
    customers(filter: $filter, first: $first, after: $after) {
      edges { cursor node { ...CustomerCard } }
      pageInfo { hasNextPage endCursor }
    }
  }
  fragment CustomerCard on Customer {
    id name kind parish city owner email phone completeness recordCount stage segment
    scores { churnRisk leadScore lifetimeValue influence }
  }
`);

export const Search = graphql(`
  query Search($text: String!, $first: Int!, $filter: CustomerFilterInput) {
    search(text: $text, first: $first, filter: $filter) {
      score
      customer { ...CustomerCard }
    }
  }
`);

export const CustomerView = graphql(`
  query CustomerView($id: ID!, $withDecisions: Boolean!) {
    customer(id: $id) {
      id requestedId kind status mergedInto name parish city owner company
      email phone dob address emails phones completeness recordCount sources updatedAt stage segment
      fields { name value sources records }
      records { key source sourceId kind name confidence rule emails phones handles websites
        addresses { key line1 city parish } }
      interactions(first: 20) { ...InteractionItems }
      transactions(first: 20) { total items { key type date amount currency description } }
      alerts { ...AlertParts }
      scores { influence community churnRisk leadScore lifetimeValue
        churnFactors leadFactors valueFactors scoresModel scoresAt scoresBasis }
      predictedLinks(first: 10) { other { id name kind } hidden kind probability model features via }
      referralsIn { id name kind }
      referralsOut { id name kind }
      relationships { type direction strength evidence other { id name kind } }
      employers { id name kind }
      staff { id name kind }
      decisions(first: 10) @include(if: $withDecisions) { id action actor at reason }
    }
  }
  fragment InteractionItems on InteractionList {
    total
    items { key type occurredAt subject notes outcome rep }
  }
`);

export const CustomerInteractions = graphql(`
  query CustomerInteractions($id: ID!) {
    customer(id: $id) { id interactions(first: 20) { ...InteractionItems } }
  }
`);

export const RecordInteraction = graphql(`
  mutation RecordInteraction($input: InteractionInput!) {
    recordInteraction(input: $input) { key type occurredAt subject notes outcome rep }
  }
`);

export const Neighbourhood = graphql(`
  query Neighbourhood($id: ID!) {
    customer(id: $id) {
      id name kind
      relationships { type direction strength other { id name kind } }
      employers { id name kind }
      staff { id name kind }
    }
  }
`);

export const WarmPath = graphql(`
  query WarmPath($from: ID!, $to: ID!) {
    path(from: $from, to: $to) { length steps { kind id label via } }
  }
`);

export const ReviewQueue = graphql(`
  query ReviewQueue($first: Int!, $offset: Int!) {
    reviewQueue(first: $first, offset: $offset) { a b aName bName aCustomers bCustomers status score explanation }
  }
`);

export const ReviewDecision = graphql(`
  mutation ReviewDecision($a: ID!, $b: ID!, $verdict: Verdict!, $reason: String!) {
    reviewDecision(a: $a, b: $b, verdict: $verdict, reason: $reason) { summary }
  }
`);

export const MergeCustomers = graphql(`
  mutation MergeCustomers($first: ID!, $second: ID!, $reason: String!) {
    mergeCustomers(first: $first, second: $second, reason: $reason) { summary }
  }
`);

export const SplitCustomer = graphql(`
  mutation SplitCustomer($id: ID!, $recordKeys: [ID!]!, $reason: String!) {
    splitCustomer(id: $id, recordKeys: $recordKeys, reason: $reason) { summary }
  }
`);

export const CustomerChanged = graphql(`
  subscription CustomerChanged($id: ID!) {
    customerChanged(id: $id) { eventId customerId change }
  }
`);

export const FindProspect = graphql(`
  query FindProspect($text: String!) {
    search(text: $text, first: 5) { score customer { id name kind parish } }
  }
`);
