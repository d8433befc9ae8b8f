"""The kinds of event on the service's event stream: one place for their names.

Each event is keyed by what subscribers filter on: a customer id, or for `alert.raised`
the rep the alert is for. The API publishes changes made through it; `c360 apply`
announces what reached the graph from the system of record; jobs emit their signals
(workers.signals); the alert engine raises alerts.
"""

from __future__ import annotations

from typing import Final

CUSTOMER_CHANGED: Final = "customer.changed"
INTERACTION_RECORDED: Final = "interaction.recorded"
TRANSACTION_RECORDED: Final = "transaction.recorded"
ALERT_RAISED: Final = "alert.raised"
# the signals jobs emit
CUSTOMER_SCORED: Final = "customer.scored"
CUSTOMER_QUIET: Final = "customer.quiet"
LINK_PREDICTED: Final = "link.predicted"
RECORD_MATCHED: Final = "record.matched"

# Every kind: what integrators may subscribe webhooks to.
EVENT_KINDS: Final[frozenset[str]] = frozenset(
    {CUSTOMER_CHANGED, INTERACTION_RECORDED, TRANSACTION_RECORDED, ALERT_RAISED,
     CUSTOMER_SCORED, CUSTOMER_QUIET, LINK_PREDICTED, RECORD_MATCHED}
)  # fmt: skip
