// doc: Every webhook registration, oldest first, without secrets.
// example: {}
MATCH (w:Webhook)
RETURN w {.id, .url, .kinds, .active, .created_at, .created_by, .updated_at, .updated_by} AS webhook
ORDER BY w.created_at, w.id
