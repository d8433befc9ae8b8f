// doc: Change a webhook's URL, event kinds or active flag; a null parameter leaves that property as it is. Returns the webhook as it now stands (no rows: no such webhook).
// writes: true
// example: {"id": "W0000000000000", "url": null, "kinds": ["alert.raised"], "active": false, "updated_at": 1700000000001, "updated_by": "admin"}
MATCH (w:Webhook {id: $id})
SET w.url = coalesce($url, w.url), w.kinds = coalesce($kinds, w.kinds), w.active = coalesce($active, w.active),
  w.updated_at = $updated_at, w.updated_by = $updated_by
RETURN w {.id, .url, .kinds, .active, .created_at, .created_by, .updated_at, .updated_by} AS webhook
