// doc: Create or rebuild Customers (golden records): $rows hold the whole property map resolution owns of each, id included; what other jobs keep on a Customer (scores, influence, community, betweenness) stays.
// writes: true
// example: {"rows": [{"id": "C0000000000000", "props": {"id": "C0000000000000", "kind": "person", "status": "active", "created_at": 1700000000000, "updated_at": 1700000000000, "completeness": 0.5, "name": "Ann Example", "record_count": 1}}]}
UNWIND $rows AS row
MERGE (c:Customer {id: row.id})
// What other jobs keep on a Customer (`c360 scores`: scores/write; `c360 relations`:
// relations/write_scores; the activity dates graph/customer_activity.py keeps) outlives
// its rebuild: read before the golden record replaces the rest, set again after.
// (`SET c += row.props` with nulls for the fields gone says the same, but FalkorDB 4
// then loses and keeps the wrong properties.)
WITH c, row, [c.churn_risk, c.churn_factors, c.lead_score, c.lead_factors, c.lifetime_value,
  c.value_factors, c.scores_model, c.scores_at, c.scores_basis, c.influence, c.community,
  c.betweenness, c.first_bought, c.last_active, c.activity_at] AS kept
SET c = row.props
SET c.churn_risk = kept[0], c.churn_factors = kept[1], c.lead_score = kept[2],
  c.lead_factors = kept[3], c.lifetime_value = kept[4], c.value_factors = kept[5],
  c.scores_model = kept[6], c.scores_at = kept[7], c.scores_basis = kept[8],
  c.influence = kept[9], c.community = kept[10], c.betweenness = kept[11],
  c.first_bought = kept[12], c.last_active = kept[13], c.activity_at = kept[14]
RETURN count(c) AS written
