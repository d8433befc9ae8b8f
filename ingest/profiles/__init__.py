"""Source profiles: one per export format, looked up by name (`--source`).

crm-contacts      crm           CRM contacts CSV (persons, their companies)
qbo-customers     qbo           QuickBooks Online Customer JSON
qbo-transactions  qbo           QuickBooks Online Invoice / SalesReceipt JSON
sheets-leads      sheets        Google Sheets lead list CSV
directory         directory     business directory listings JSON
instagram         instagram     Instagram public profiles JSONL
interactions      interactions  interactions CSV (calls, visits, ...)
transactions      pos           point-of-sale / bank transactions CSV
api-edits         api           corrections to a customer entered through the API
"""

from __future__ import annotations

from ingest.profiles.api_edits import ApiEditsProfile
from ingest.profiles.base import RowRejected, SourceProfile
from ingest.profiles.crm_contacts import CrmContactsProfile
from ingest.profiles.directory import DirectoryProfile
from ingest.profiles.instagram import InstagramProfile
from ingest.profiles.interactions import InteractionsProfile
from ingest.profiles.qbo_customers import QboCustomersProfile
from ingest.profiles.qbo_transactions import QboTransactionsProfile
from ingest.profiles.sheets_leads import SheetsLeadsProfile
from ingest.profiles.transactions import TransactionsProfile

PROFILES: dict[str, SourceProfile] = {
    profile.name: profile
    for profile in (
        CrmContactsProfile(),
        QboCustomersProfile(),
        QboTransactionsProfile(),
        SheetsLeadsProfile(),
        DirectoryProfile(),
        InstagramProfile(),
        InteractionsProfile(),
        TransactionsProfile(),
        ApiEditsProfile(),
    )
}


def get_profile(name: str) -> SourceProfile:
    """The profile called `name`; KeyError listing the known names otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise KeyError(f"unknown source profile {name!r}; known profiles: {known}") from None


__all__ = ["PROFILES", "RowRejected", "SourceProfile", "get_profile"]
