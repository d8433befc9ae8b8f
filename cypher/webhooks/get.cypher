// doc: One webhook registration, without its secret.
// example: {"id": "W0000000000000"}
MATCH (w:Webhook {id: $id})
RETURN w {.id, .url, .kinds, .active, .created_at, .created_by, .updated_at, .updated_by} AS webhook
