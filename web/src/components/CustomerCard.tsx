import { Link } from "react-router";
import type { CustomerCardFragment } from "../gql/graphql";
import { percent, score, segmentLabel, stageLabel } from "../format";
import { Value } from "./Masked";

export function CustomerCard({ customer, extra }: { customer: CustomerCardFragment; extra?: React.ReactNode }) {
  return (
    <li className="card customer-card">
      <Link to={`/customers/${customer.id}`} className="name">
        {customer.name ?? customer.id}
      </Link>
      <span className="meta">
        {customer.kind} · {customer.parish ?? "parish unknown"}
        {customer.owner ? ` · ${customer.owner}` : ""}
      </span>
      <span className="tags">
        <span className={`badge stage-${customer.stage.toLowerCase()}`}>{stageLabel(customer.stage)}</span>{" "}
        <span className="badge">{segmentLabel(customer.segment)}</span>
      </span>
      <span className="contact">
        <Value value={customer.email} /> <Value value={customer.phone} />
      </span>
      <span className="scores">
        complete {percent(customer.completeness)}
        {customer.scores.leadScore != null && ` · lead ${score(customer.scores.leadScore)}`}
        {customer.scores.churnRisk != null && ` · churn ${percent(customer.scores.churnRisk)}`}
      </span>
      {extra}
    </li>
  );
}
