// doc: Remove a webhook registration; its delivery history stays in Redis until it expires.
// writes: true
// example: {"id": "W0000000000000"}
MATCH (w:Webhook {id: $id})
DELETE w
RETURN count(w) AS deleted
