// doc: Every AlertRule (or only the enabled ones), oldest first. The alert engine reads them all at once and derives its cache stamp from the same rows.
// example: {"enabled_only": false}
MATCH (r:AlertRule)
WHERE NOT $enabled_only OR r.enabled = true
RETURN r {.*} AS rule
ORDER BY r.created_at, r.id
