"""Every kind of event the service publishes is one a webhook may subscribe to, and every
kind an alert rule may watch is published."""

from __future__ import annotations

from api.webhooks import check_kinds
from workers.alerts import EVENT_FIELDS
from workers.event_kinds import EVENT_KINDS, TRANSACTION_RECORDED


def test_a_webhook_may_subscribe_to_transactions() -> None:
    # apply announces transaction.recorded; it was missing from the webhook kinds
    assert check_kinds([TRANSACTION_RECORDED]) == [TRANSACTION_RECORDED]


def test_every_kind_a_rule_may_watch_is_an_event_kind() -> None:
    assert set(EVENT_FIELDS) <= EVENT_KINDS
