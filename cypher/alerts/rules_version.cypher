// doc: A stamp that changes whenever any AlertRule is created or changed (every change adds one to its version): the alert engine polls it to know when to reload its cached rules.
// example: {}
MATCH (r:AlertRule)
RETURN count(r) AS rules, sum(coalesce(r.version, 0)) AS version
