// doc: Remove the scores of customers that are no longer active (merged into another or retired): their scores describe a customer that no longer stands alone.
// writes: true
// example: {}
MATCH (c:Customer)
WHERE c.status <> 'active' AND c.scores_model IS NOT NULL
SET c.churn_risk = null, c.churn_factors = null, c.lead_score = null, c.lead_factors = null,
    c.lifetime_value = null, c.value_factors = null, c.scores_model = null, c.scores_at = null,
    c.scores_basis = null
RETURN count(c) AS cleared
