// doc: The scores stored on every active customer (churn risk, lead score, lifetime value) and their basis ('model' or 'insufficient_history'): what a scoring run compares its new scores with, to announce the ones that changed.
// example: {}
MATCH (c:Customer {status: 'active'})
RETURN c.id AS id, c.churn_risk AS churn_risk, c.lead_score AS lead_score,
       c.lifetime_value AS lifetime_value, c.scores_basis AS basis
