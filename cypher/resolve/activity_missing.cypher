// doc: The active Customers whose first purchase and last activity were never stored (activity_at is null: a graph made before they were, or written by hand): what graph.customer_activity.fill_activity refreshes.
// example: {}
MATCH (c:Customer)
WHERE c.status = 'active' AND c.activity_at IS NULL
RETURN c.id AS id
