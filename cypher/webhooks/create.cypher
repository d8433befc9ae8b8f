// doc: Register a webhook: where to POST which event kinds, signed with its secret. The secret is read only by the delivery loop.
// writes: true
// example: {"id": "W0000000000000", "url": "https://example.com/hook", "kinds": ["customer.changed"], "secret": "s3cret", "active": true, "created_at": 1700000000000, "created_by": "admin"}
CREATE (w:Webhook {id: $id, url: $url, kinds: $kinds, secret: $secret, active: $active, created_at: $created_at, created_by: $created_by})
RETURN w.id AS id
