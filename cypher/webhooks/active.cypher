// doc: The active webhooks with their secrets: what the delivery loop signs and sends to.
// example: {}
MATCH (w:Webhook)
WHERE w.active = true
RETURN w.id AS id, w.url AS url, w.kinds AS kinds, w.secret AS secret, w.created_at AS created_at
