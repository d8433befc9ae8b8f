// doc: How many Customers there are by kind and status, and how many Records resolve to one.
// example: {}
MATCH (c:Customer)
WITH c.kind AS kind, c.status AS status, count(c) AS customers
RETURN kind, status, customers ORDER BY kind, status
