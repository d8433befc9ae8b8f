// doc: Write each customer's scores (churn risk, lead score, lifetime value), their top factors, the model version, when and on what basis ('model' or 'insufficient_history'); null removes a score.
// writes: true
// example: {"rows": [{"id": "C0000000000000", "churn_risk": 0.2, "churn_factors": ["days_since_activity=400 (+0.120)"], "lead_score": null, "lead_factors": null, "lifetime_value": 1500.0, "value_factors": ["spend_last_year=900 (+400)"], "model": "scores-0001", "at": 1700000000000, "basis": "model"}]}
UNWIND $rows AS row
MATCH (c:Customer {id: row.id})
SET c.churn_risk = row.churn_risk, c.churn_factors = row.churn_factors,
    c.lead_score = row.lead_score, c.lead_factors = row.lead_factors,
    c.lifetime_value = row.lifetime_value, c.value_factors = row.value_factors,
    c.scores_model = row.model, c.scores_at = row.at, c.scores_basis = row.basis
RETURN count(c) AS written
