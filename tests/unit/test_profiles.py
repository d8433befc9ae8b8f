"""The source profiles against small hand-written exports in tests/fixtures/sources/."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ingest.model import ActivityRecord, EvidenceRecord
from ingest.normalise import InvalidValue
from ingest.profiles import PROFILES, RowRejected, SourceProfile, get_profile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"


# --------------------------------------------------------------------------------------
# Reading the fixtures the way the pipeline's readers do
# --------------------------------------------------------------------------------------


def snake(header: str) -> str:
    """lower_snake_case header; "#" reads as "no" ("Phone #" -> "phone_no")."""
    return re.sub(r"[^0-9a-z]+", "_", header.replace("#", " no ").lower()).strip("_")


def csv_rows(name: str) -> list[dict[str, str]]:
    with open(FIXTURES / name, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames is not None
        reader.fieldnames = [snake(h) for h in reader.fieldnames]
        return list(reader)


def json_rows(profile: SourceProfile, name: str) -> list[Mapping[str, Any]]:
    return list(profile.rows_from_json(json.loads((FIXTURES / name).read_text("utf-8"))))


def jsonl_rows(name: str) -> list[dict[str, Any]]:
    lines = (FIXTURES / name).read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def items(profile: SourceProfile, raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a row becomes, as plain data (defaults left out)."""
    produced = profile.to_items(profile.parse(raw))
    for item in produced:
        assert isinstance(item, EvidenceRecord | ActivityRecord)
    return [item.model_dump(mode="json", exclude_defaults=True) for item in produced]


def failure(profile: SourceProfile, raw: Mapping[str, Any]) -> Exception:
    with pytest.raises((ValidationError, RowRejected, InvalidValue)) as caught:
        profile.to_items(profile.parse(raw))
    return caught.value


def assert_names_field(exc: Exception, kind: type[Exception], field: str | None) -> None:
    """The row failed the right way and the reason says which field."""
    assert isinstance(exc, kind), f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ValidationError):
        locs = [".".join(str(p) for p in err["loc"]) for err in exc.errors()]
        if field is None:  # a whole-row rule: loc is empty, the message lists the fields
            assert locs == [""]
        else:
            assert field in locs, locs
    elif field is not None:
        assert str(exc).startswith(f"{field}:"), str(exc)


def org(source: str, key: str) -> dict[str, Any]:
    """The derived business record of a company column: the same for every spelling."""
    return {
        "source": source,
        "source_id": f"org:{key}",
        "kind": "business",
        "fields": {"name": key.title(), "name_folded": key, "company_key": key},
        "derived": True,
    }


BLUE_MOUNTAIN_ADDRESS = {
    "key": "12 hope road|kingston 6|st andrew|jm",
    "city": "Kingston",
    "parish": "St. Andrew",
    "postal_zone": "Kingston 6",
}


# --------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------


def test_registry_has_every_profile() -> None:
    assert set(PROFILES) == {
        "crm-contacts",
        "qbo-customers",
        "qbo-transactions",
        "sheets-leads",
        "directory",
        "instagram",
        "interactions",
        "transactions",
        "api-edits",
    }
    sources = {name: p.source for name, p in PROFILES.items()}
    assert sources == {
        "crm-contacts": "crm",
        "qbo-customers": "qbo",
        "qbo-transactions": "qbo",
        "sheets-leads": "sheets",
        "directory": "directory",
        "instagram": "instagram",
        "interactions": "interactions",
        "transactions": "pos",
        "api-edits": "api",
    }
    for name, profile in PROFILES.items():
        assert isinstance(profile, SourceProfile)
        assert profile.name == name
        assert profile.description
        assert get_profile(name) is profile


def test_unknown_profile_lists_known_names() -> None:
    with pytest.raises(KeyError) as caught:
        get_profile("hubspot")
    message = str(caught.value)
    assert "hubspot" in message
    for name in PROFILES:
        assert name in message


@pytest.mark.parametrize(
    ("profile", "raw", "field"),
    [
        (
            "crm-contacts",
            {"contact_id": "C1", "first_name": "Bob", "job_title": "x" * 1001},
            "job_title",
        ),
        ("sheets-leads", {"lead_id": "L1", "name": "Bob", "notes": "n" * 5000}, "notes"),
        (
            "interactions",
            {
                "interaction_id": "I1",
                "record_source": "crm",
                "record_id": "C1",
                "notes": "n" * 1001,
            },
            "notes",
        ),
        (
            "transactions",
            {
                "txn_id": "T1",
                "record_source": "crm",
                "record_id": "C1",
                "amount": "5",
                "description": "d" * 1001,
            },
            "description",
        ),
        ("qbo-customers", {"Id": "1", "DisplayName": "Bob", "Notes": "n" * 1001}, "Notes"),
        (
            "qbo-customers",
            {"Id": "1", "DisplayName": "Bob", "BillAddr": {"Line1": "l" * 1001}},
            "BillAddr.Line1",
        ),
        (
            "directory",
            {"listingId": 1, "businessName": "B", "categories": ["c" * 1001]},
            "categories",
        ),
        ("instagram", {"username": "bob", "biography": "b" * 1001}, "biography"),
    ],
)
def test_absurdly_long_fields_are_refused(profile: str, raw: dict[str, Any], field: str) -> None:
    exc = failure(get_profile(profile), raw)
    assert_names_field(exc, ValidationError, field)
    assert "absurdly long field" in str(exc)


def test_a_field_of_exactly_the_limit_is_fine() -> None:
    profile = get_profile("crm-contacts")
    [person] = items(profile, {"contact_id": "C1", "first_name": "Bob", "job_title": "x" * 1000})
    assert person["fields"]["job_title"] == "x" * 1000


def test_blank_optional_fields_read_as_missing_but_typed_defaults_still_check() -> None:
    crm = get_profile("crm-contacts")
    blank = {"contact_id": "C1", "first_name": "Bob", "email": "  ", "company": "", "city": " "}
    assert items(crm, blank) == items(crm, {"contact_id": "C1", "first_name": "Bob"})
    # A blank required field is still named as such ...
    exc = failure(crm, {"contact_id": " ", "first_name": "Bob"})
    assert_names_field(exc, ValidationError, "contact_id")
    assert "is required but empty" in str(exc)
    # ... and a blank value for a field whose default is not None is still validated.
    exc = failure(get_profile("instagram"), {"username": "bob", "is_business_account": ""})
    assert_names_field(exc, ValidationError, "is_business_account")


def test_tabular_keys_are_renormalised_whatever_the_caller_gives() -> None:
    crm = get_profile("crm-contacts")
    expected = items(crm, {"contact_id": "C1", "first_name": "Bob", "phone": "876-555-0101"})
    # Raw headers, csv.DictReader's None key for surplus cells, and two headers that
    # become one name (the first non-blank value wins), in either order.
    assert items(crm, {"Contact ID": "C1", "First Name": "Bob", "Phone": "876-555-0101",
                       None: ["surplus"]}) == expected  # fmt: skip
    assert items(crm, {"contact_id": "C1", "first_name": "Bob", "Phone #": "",
                       "phone_no": "876-555-0101"}) == expected  # fmt: skip
    assert items(crm, {"contact_id": "C1", "First-Name": "", "first_name": "Bob",
                       "phone": "876-555-0101"}) == expected  # fmt: skip


# --------------------------------------------------------------------------------------
# crm-contacts
# --------------------------------------------------------------------------------------


def test_crm_contacts_rows() -> None:
    profile = get_profile("crm-contacts")
    rows = csv_rows("crm_contacts.csv")
    assert profile.required_columns <= set(rows[0])

    assert items(profile, rows[0]) == [
        org("crm", "blue mountain coffee"),
        {
            "source": "crm",
            "source_id": "C-1001",
            "kind": "person",
            "fields": {
                "name": "Robert Brown",
                "name_folded": "robert brown",
                "given_name": "Robert",
                "family_name": "Brown",
                "company": "Blue Mountain Coffee Co. Ltd",
                "job_title": "Operations Manager",
                "city": "Kingston",
                "parish": "St. Andrew",
                "postal_zone": "Kingston 6",
                "lead_status": "Open",
                "segment": "SMB",
                "referred_by": "Liz Campbell",
                "dob": "1980-02-14",
                "created": "2023-04-05",
                "owner": "Kemar Lewis",
            },
            "emails": ["robertbrown@gmail.com"],
            "phones": ["+18769271234", "+18765551234"],
            "addresses": [{**BLUE_MOUNTAIN_ADDRESS, "line1": "12 Hope Rd"}],
            "works_at": "crm:org:blue mountain coffee",
        },
    ]
    # ALL CAPS name re-cased, accents kept; two numbers in one cell; a town as city.
    assert items(profile, rows[1]) == [
        {
            "source": "crm",
            "source_id": "C-1002",
            "kind": "person",
            "fields": {
                "name": "André McKenzie",
                "name_folded": "andre mckenzie",
                "given_name": "André",
                "family_name": "McKenzie",
                "city": "Montego Bay",
                "parish": "St. James",
                "lead_status": "New",
                "created": "2024-01-09",
                "owner": "Kemar Lewis",
            },
            "emails": ["andremckenzie@gmail.com"],
            "phones": ["+18765551234", "+18768812345"],
        }
    ]
    # No name but an email and a 7-digit local number: still a person, at the company.
    assert items(profile, rows[2]) == [
        org("crm", "island grill"),
        {
            "source": "crm",
            "source_id": "C-1003",
            "kind": "person",
            "fields": {"company": "Island Grill Limited", "parish": "St. Ann"},
            "emails": ["info@islandgrill.com.jm"],
            "phones": ["+18769745555"],
            "works_at": "crm:org:island grill",
        },
    ]


def test_derived_business_record_is_the_same_for_every_spelling() -> None:
    profile = get_profile("crm-contacts")
    first = profile.to_items(
        {"contact_id": "1", "first_name": "Al", "company": "BLUE MOUNTAIN COFFEE CO. LTD"}
    )
    second = profile.to_items(
        {"contact_id": "2", "first_name": "Bo", "company": "The Blue Mountain Coffee Limited"}
    )
    assert first[0] == second[0]
    assert isinstance(first[0], EvidenceRecord) and first[0].derived
    assert [i.derived for i in first if isinstance(i, EvidenceRecord)] == [True, False]


@pytest.mark.parametrize(
    ("index", "kind", "field"),
    [
        (3, InvalidValue, "email"),  # "bob at gmail"
        (4, InvalidValue, "phone"),  # "n/a call me"
        (5, ValidationError, "contact_id"),  # blank id
        (6, ValidationError, None),  # no name, email or phone
        (7, InvalidValue, "date_of_birth"),  # 31/02/1985
    ],
)
def test_crm_contacts_bad_rows(index: int, kind: type[Exception], field: str | None) -> None:
    profile = get_profile("crm-contacts")
    exc = failure(profile, csv_rows("crm_contacts.csv")[index])
    assert_names_field(exc, kind, field)
    if field is None:
        assert "identifies no one" in str(exc)


def test_crm_contacts_other_export_headers() -> None:
    """HubSpot's own header names ("Record ID", "Phone Number", ...) are accepted."""
    profile = get_profile("crm-contacts")
    raw = {
        "Record ID": "901",
        "First Name": "Liz",
        "Last Name": "Campbell",
        "Email Address": "LIZ@Example.com",
        "Phone Number": "876 555 0001",
        "Mobile Phone Number": "",
        "Company Name": "",
        "State/Region": "St. Catherine",
        "Contact owner": "Omar",
    }
    [person] = items(profile, raw)
    assert person["source_id"] == "901"
    assert person["emails"] == ["liz@example.com"]
    assert person["phones"] == ["+18765550001"]
    assert person["fields"]["parish"] == "St. Catherine"
    assert person["fields"]["owner"] == "Omar"
    assert "works_at" not in person


def test_to_items_accepts_a_raw_mapping_too() -> None:
    profile = get_profile("crm-contacts")
    raw = {"contact_id": "C9", "first_name": "Bob"}
    assert profile.to_items(raw) == profile.to_items(profile.parse(raw))


# --------------------------------------------------------------------------------------
# qbo-customers
# --------------------------------------------------------------------------------------


def test_qbo_customers_rows() -> None:
    profile = get_profile("qbo-customers")
    rows = json_rows(profile, "qbo_customers.json")
    assert len(rows) == 7

    assert items(profile, rows[0]) == [
        org("qbo", "blue mountain coffee"),
        {
            "source": "qbo",
            "source_id": "58",
            "kind": "person",
            "fields": {
                "name": "Robert Brown",
                "name_folded": "robert brown",
                "given_name": "Robert",
                "family_name": "Brown",
                "title": "Mr.",
                "company": "Blue Mountain Coffee Limited",
                "display_name": "Robert Brown",
                "city": "Kingston",
                "parish": "St. Andrew",
                "postal_zone": "Kingston 6",
                "notes": "Prefers invoices by email",
                "balance": 15250.5,
                "currency": "JMD",
                "active": True,
                "created": "2023-04-05",
                "updated": "2024-02-01",
            },
            "emails": ["rbrown@bluemountaincoffee.com.jm", "robertbrown@gmail.com"],
            "phones": ["+18769271234", "+18765551234"],
            "addresses": [{**BLUE_MOUNTAIN_ADDRESS, "line1": "12 Hope Road"}],
            "websites": ["bluemountaincoffee.com.jm"],
            "works_at": "qbo:org:blue mountain coffee",
        },
    ]
    # Only a company: a business customer, inactive, balance 0 kept.
    assert items(profile, rows[1]) == [
        {
            "source": "qbo",
            "source_id": "59",
            "kind": "business",
            "fields": {
                "name": "Island Grill Ltd.",
                "name_folded": "island grill ltd",
                "company_key": "island grill",
                "display_name": "Island Grill Ltd.",
                "city": "Ocho Rios",
                "parish": "St. Ann",
                "balance": 0.0,
                "currency": "JMD",
                "active": False,
            },
            "emails": ["accounts@islandgrill.com.jm"],
            "phones": ["+18769745555"],
            "addresses": [
                {
                    "key": "7 main street|ocho rios|st ann|jm",
                    "line1": "7 Main St",
                    "city": "Ocho Rios",
                    "parish": "St. Ann",
                }
            ],
            "websites": ["islandgrill.com.jm"],
        }
    ]
    # DisplayName only: a business; a linktr.ee page is nobody's own web site.
    assert items(profile, rows[2]) == [
        {
            "source": "qbo",
            "source_id": "60",
            "kind": "business",
            "fields": {
                "name": "Tasha's Nails",
                "name_folded": "tashas nails",
                "company_key": "tashas nails",
                "display_name": "Tasha's Nails",
                "currency": "JMD",
            },
            "phones": ["+18763832211"],
        }
    ]


@pytest.mark.parametrize(
    ("index", "kind", "field"),
    [
        (3, InvalidValue, "PrimaryEmailAddr.Address"),
        (4, ValidationError, None),  # nothing identifies the customer
        (5, ValidationError, "Id"),
        (6, RowRejected, "CurrencyRef"),
    ],
)
def test_qbo_customers_bad_rows(index: int, kind: type[Exception], field: str | None) -> None:
    profile = get_profile("qbo-customers")
    exc = failure(profile, json_rows(profile, "qbo_customers.json")[index])
    assert_names_field(exc, kind, field)


def test_qbo_document_shapes() -> None:
    profile = get_profile("qbo-customers")
    assert list(profile.rows_from_json({"QueryResponse": {}})) == []  # an empty query
    assert list(profile.rows_from_json([{"Id": "1"}])) == [{"Id": "1"}]
    with pytest.raises(ValueError, match=r"QueryResponse\.Customer"):
        profile.rows_from_json({"Customers": []})
    txns = get_profile("qbo-transactions")
    assert list(txns.rows_from_json({"QueryResponse": {}, "time": "2024-03-01"})) == []
    assert list(txns.rows_from_json({"QueryResponse": {"SalesReceipt": [{"Id": "1"}]}})) == [
        {"Id": "1", "_entity": "SalesReceipt"}
    ]


# --------------------------------------------------------------------------------------
# qbo-transactions
# --------------------------------------------------------------------------------------


def test_qbo_transactions_rows() -> None:
    profile = get_profile("qbo-transactions")
    rows = json_rows(profile, "qbo_transactions.json")
    assert [r.get("_entity") for r in rows] == ["Invoice"] * 3 + ["SalesReceipt"] * 2

    assert items(profile, rows[0]) == [
        {
            "source": "qbo",
            "source_id": "invoice:130",
            "kind": "transaction",
            "record_key": "qbo:58",
            "fields": {
                "type": "invoice",
                "amount": 15250.5,
                "currency": "JMD",
                "date": "2024-02-14",
                "due_date": "2024-03-15",
                "doc_number": "1037",
                "balance": 15250.5,
                "items": ["Blue Mountain Beans", "Delivery"],
                "note": "Deliver to Hope Rd office",
                "customer_name": "Robert Brown",
            },
        }
    ]
    # No TotalAmt: the sum of the item lines; the same item twice is listed once.
    assert items(profile, rows[1]) == [
        {
            "source": "qbo",
            "source_id": "invoice:131",
            "kind": "transaction",
            "record_key": "qbo:59",
            "fields": {
                "type": "invoice",
                "amount": 1500.25,
                "currency": "JMD",
                "date": "2024-02-20",
                "due_date": "2024-03-20",
                "items": ["Jerk Sauce"],
            },
        }
    ]
    # Sales receipt 130 and invoice 130 are different documents.
    assert items(profile, rows[3]) == [
        {
            "source": "qbo",
            "source_id": "salesreceipt:130",
            "kind": "transaction",
            "record_key": "qbo:60",
            "fields": {
                "type": "salesreceipt",
                "amount": 4500.0,
                "currency": "JMD",
                "date": "2024-02-15",
                "doc_number": "SR-77",
                "balance": 0.0,
                "items": ["Gel Manicure"],
                "memo": "Thank you!",
                "customer_name": "Tasha's Nails",
            },
        }
    ]


def test_qbo_transactions_bad_rows() -> None:
    profile = get_profile("qbo-transactions")
    rows = json_rows(profile, "qbo_transactions.json")
    assert_names_field(failure(profile, rows[2]), RowRejected, "CustomerRef")
    assert_names_field(failure(profile, rows[4]), InvalidValue, "TxnDate")


@pytest.mark.parametrize(
    ("raw", "source_id"),
    [
        (
            {"Id": "5", "DueDate": "2024-01-31", "CustomerRef": {"value": "1"}, "TotalAmt": 1},
            "invoice:5",
        ),
        (
            {
                "Id": "5",
                "PaymentMethodRef": {"value": "1"},
                "CustomerRef": {"value": "1"},
                "TotalAmt": 1,
            },
            "salesreceipt:5",
        ),
        (
            {"SalesReceipt": {"Id": "5", "CustomerRef": {"value": "1"}, "TotalAmt": 1}},
            "salesreceipt:5",
        ),
        ({"Id": "5", "CustomerRef": {"value": "1"}, "TotalAmt": 1}, "invoice:5"),
    ],
)
def test_qbo_transaction_type_without_the_array_tag(raw: dict[str, Any], source_id: str) -> None:
    [txn] = items(get_profile("qbo-transactions"), raw)
    assert txn["source_id"] == source_id
    assert txn["record_key"] == "qbo:1"


# --------------------------------------------------------------------------------------
# sheets-leads
# --------------------------------------------------------------------------------------


def test_sheets_leads_rows() -> None:
    profile = get_profile("sheets-leads")
    rows = csv_rows("sheets_leads.csv")
    assert "no" in rows[0]  # the "#" column

    # "Family, Given" in one cell; the Business becomes the works_at record.
    assert items(profile, rows[0]) == [
        org("sheets", "blue mountain coffee"),
        {
            "source": "sheets",
            "source_id": "L-001",
            "kind": "person",
            "fields": {
                "name": "Robert Brown",
                "name_folded": "robert brown",
                "given_name": "Robert",
                "family_name": "Brown",
                "company": "Blue Mountain Coffee Co Ltd",
                "city": "Kingston",
                "parish": "St. Andrew",
                "postal_zone": "Kingston 6",
                "notes": "met at expo, wants samples",
                "rep": "Shanique",
                "status": "hot",
                "created": "2024-03-05",
            },
            "emails": ["robertbrown@gmail.com"],
            "phones": ["+18765551234"],
            "works_at": "sheets:org:blue mountain coffee",
        },
    ]
    # Business only: the lead is a business; two phones; handle from a profile URL.
    assert items(profile, rows[1]) == [
        {
            "source": "sheets",
            "source_id": "L-002",
            "kind": "business",
            "fields": {
                "name": "Tasha's Nails & Beauty",
                "name_folded": "tashas nails beauty",
                "company_key": "tashas nails and beauty",
                "city": "Montego Bay",
                "parish": "St. James",
                "rep": "Shanique",
                "status": "warm",
                "created": "2024-03-07",
            },
            "phones": ["+18763832211", "+18763832212"],
            "handles": [{"platform": "instagram", "value": "tashasnails"}],
        }
    ]
    # lower-case name re-cased; a misspelt parish is a parish, not a town.
    assert items(profile, rows[2]) == [
        {
            "source": "sheets",
            "source_id": "L-003",
            "kind": "person",
            "fields": {
                "name": "Keisha Williams",
                "name_folded": "keisha williams",
                "given_name": "Keisha",
                "family_name": "Williams",
                "parish": "St. Catherine",
                "rep": "Omar",
            },
            "handles": [{"platform": "instagram", "value": "keisha_w"}],
        }
    ]


@pytest.mark.parametrize(
    ("index", "kind", "field"),
    [
        (3, InvalidValue, "phone"),  # "n/a call me"
        (4, ValidationError, None),  # only a town and a note
        (5, ValidationError, "lead_id"),  # no id
        (6, InvalidValue, "email"),  # "marlon at gmail"
    ],
)
def test_sheets_leads_bad_rows(index: int, kind: type[Exception], field: str | None) -> None:
    profile = get_profile("sheets-leads")
    exc = failure(profile, csv_rows("sheets_leads.csv")[index])
    assert_names_field(exc, kind, field)


@pytest.mark.parametrize(
    "raw",
    [
        {"lead_id": "L-9", "name": "Bob Reid", "phone": "876-555-0009"},  # "Lead ID", "Phone"
        {"#": "L-9", "Name": "Bob Reid", "Phone #": "876-555-0009"},  # raw headers
        {"": "L-9", "name": "Bob Reid", "phone_": "876-555-0009"},  # "#" read as ""
        {"id": "L-9", "full_name": "Bob Reid", "tel": "876-555-0009"},
    ],
)
def test_sheets_leads_header_variants(raw: dict[str, str]) -> None:
    [lead] = items(get_profile("sheets-leads"), raw)
    assert lead["source_id"] == "L-9"
    assert lead["fields"]["name"] == "Bob Reid"
    assert lead["phones"] == ["+18765550009"]


def test_sheets_named_id_column_wins_over_an_unnamed_one() -> None:
    raw = {"lead_id": "L-9", "": "junk", "name": "Bob Reid"}
    [lead] = items(get_profile("sheets-leads"), raw)
    assert lead["source_id"] == "L-9"


# --------------------------------------------------------------------------------------
# directory
# --------------------------------------------------------------------------------------


def test_directory_rows() -> None:
    profile = get_profile("directory")
    rows = json_rows(profile, "directory.json")

    assert items(profile, rows[0]) == [
        {
            "source": "directory",
            "source_id": "50012",
            "kind": "business",
            "fields": {
                "name": "Blue Mountain Coffee Co. Ltd",
                "name_folded": "blue mountain coffee co ltd",
                "company_key": "blue mountain coffee",
                "categories": ["Coffee", "Wholesale"],
                "rating": 4.5,
                "review_count": 37,
                "hours": "Mon-Fri 8:00-17:00; Sat 9:00-13:00",
                "city": "Kingston",
                "parish": "St. Andrew",
                "postal_zone": "Kingston 6",
            },
            "emails": ["info@bluemountaincoffee.com.jm"],
            "phones": ["+18769271234", "+18769271235"],
            "addresses": [{**BLUE_MOUNTAIN_ADDRESS, "line1": "12 Hope Rd."}],
            "websites": ["bluemountaincoffee.com.jm"],
        }
    ]
    # One category / phone as a string; a town without a street is no Address.
    assert items(profile, rows[1]) == [
        {
            "source": "directory",
            "source_id": "YP-50013",
            "kind": "business",
            "fields": {
                "name": "Island Grill",
                "name_folded": "island grill",
                "company_key": "island grill",
                "categories": ["Restaurants"],
                "hours": "Daily 7am-10pm",
                "city": "Ocho Rios",
                "parish": "St. Ann",
            },
            "phones": ["+18769745555"],
        }
    ]


@pytest.mark.parametrize(
    ("index", "kind", "field"),
    [
        (2, ValidationError, None),  # no name, phone, email or website
        (3, InvalidValue, "phones"),  # "876-55-123"
        (4, ValidationError, "rating"),  # 7 stars of 5
    ],
)
def test_directory_bad_rows(index: int, kind: type[Exception], field: str | None) -> None:
    profile = get_profile("directory")
    exc = failure(profile, json_rows(profile, "directory.json")[index])
    assert_names_field(exc, kind, field)


# --------------------------------------------------------------------------------------
# instagram
# --------------------------------------------------------------------------------------


def test_instagram_rows() -> None:
    profile = get_profile("instagram")
    rows = jsonl_rows("instagram.jsonl")

    # Business account; country code given apart; linktr.ee is not a web site.
    assert items(profile, rows[0]) == [
        {
            "source": "instagram",
            "source_id": "tashasnails",
            "kind": "business",
            "fields": {
                "name": "Tasha's Nails & Beauty",
                "name_folded": "tashas nails beauty",
                "company_key": "tashas nails and beauty",
                "username": "tashasnails",
                "biography": "Nails | Lashes | Mobay\nBook via WhatsApp",
                "external_url": "https://linktr.ee/tashasnails",
                "category": "Nail Salon",
                "follower_count": 5120,
                "following_count": 310,
                "city": "Montego Bay",
                "is_business": True,
            },
            "emails": ["tashasnails@gmail.com"],
            "phones": ["+18763832211"],
            "handles": [{"platform": "instagram", "value": "tashasnails"}],
        }
    ]
    # Personal account with "@" in the username.
    assert items(profile, rows[1]) == [
        {
            "source": "instagram",
            "source_id": "robert.brown.ja",
            "kind": "person",
            "fields": {
                "name": "Robert Brown",
                "name_folded": "robert brown",
                "given_name": "Robert",
                "family_name": "Brown",
                "username": "robert.brown.ja",
                "biography": "Coffee man",
                "follower_count": 220,
                "following_count": 480,
                "is_business": False,
            },
            "handles": [{"platform": "instagram", "value": "robert.brown.ja"}],
        }
    ]
    [business] = items(profile, rows[2])
    assert business["websites"] == ["bluemountaincoffee.com.jm"]
    assert business["phones"] == ["+18769271234"]
    assert business["fields"]["company_key"] == "blue mountain coffee"


@pytest.mark.parametrize(
    ("index", "kind", "field"),
    [
        (3, ValidationError, "username"),  # blank
        (4, InvalidValue, "username"),  # "bad handle!"
        (5, InvalidValue, "business_email"),  # "keisha at yahoo"
    ],
)
def test_instagram_bad_rows(index: int, kind: type[Exception], field: str) -> None:
    exc = failure(get_profile("instagram"), jsonl_rows("instagram.jsonl")[index])
    assert_names_field(exc, kind, field)


def test_instagram_display_name_decorations_are_not_a_surname() -> None:
    raw = {"username": "tash", "full_name": "Tasha Brown 🌺 | Nails", "is_business_account": False}
    [person] = items(get_profile("instagram"), raw)
    assert person["fields"]["given_name"] == "Tasha"
    assert person["fields"]["family_name"] == "Brown"


# --------------------------------------------------------------------------------------
# interactions
# --------------------------------------------------------------------------------------


def test_interactions_rows() -> None:
    profile = get_profile("interactions")
    rows = csv_rows("interactions.csv")
    assert profile.required_columns <= set(rows[0])

    assert [items(profile, r) for r in rows[:3]] == [
        [
            {
                "source": "interactions",
                "source_id": "I-1",
                "kind": "interaction",
                "record_key": "crm:C-1001",
                "fields": {
                    "type": "call",
                    "occurred_at": "2024-02-10T14:30:00",
                    "date": "2024-02-10",
                    "rep": "Kemar Lewis",
                    "subject": "Coffee order",
                    "notes": "Wants 20lb monthly",
                    "outcome": "follow up",
                },
            }
        ],
        [
            {
                "source": "interactions",
                "source_id": "I-2",
                "kind": "interaction",
                "record_key": "sheets:L-002",
                "fields": {
                    "type": "whatsapp",
                    "occurred_at": "2024-03-08",
                    "date": "2024-03-08",
                    "rep": "Shanique",
                    "notes": "Sent price list",
                },
            }
        ],
        [
            {
                "source": "interactions",
                "source_id": "I-3",
                "kind": "interaction",
                "record_key": "crm:C-1002",
                "fields": {
                    "type": "visit",
                    "occurred_at": "2024-03-05",
                    "date": "2024-03-05",
                    "rep": "Kemar Lewis",
                    "subject": "Site visit",
                    "outcome": "won",
                },
            }
        ],
    ]


@pytest.mark.parametrize(
    ("index", "kind", "field"),
    [
        (3, ValidationError, "type"),  # carrier pigeon
        (4, ValidationError, "record_source"),  # blank
        (5, InvalidValue, "occurred_at"),  # "sometime last week"
    ],
)
def test_interactions_bad_rows(index: int, kind: type[Exception], field: str) -> None:
    exc = failure(get_profile("interactions"), csv_rows("interactions.csv")[index])
    assert_names_field(exc, kind, field)


def test_interaction_record_source_must_be_a_source_name() -> None:
    raw = {"interaction_id": "I9", "record_source": "crm:C1", "record_id": "C1"}
    assert_names_field(failure(get_profile("interactions"), raw), ValidationError, "record_source")


# --------------------------------------------------------------------------------------
# transactions (POS)
# --------------------------------------------------------------------------------------


def test_transactions_rows() -> None:
    profile = get_profile("transactions")
    rows = csv_rows("transactions.csv")
    assert profile.required_columns <= set(rows[0])

    def txn(source_id: str, record_key: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            {
                "source": "pos",
                "source_id": source_id,
                "kind": "transaction",
                "record_key": record_key,
                "fields": fields,
            }
        ]

    assert items(profile, rows[0]) == txn(
        "T-1",
        "crm:C-1001",
        amount=12500.0,
        currency="JMD",
        date="2024-02-14",
        channel="card",
        description="Coffee beans",
    )
    # A refund in brackets; day-first date; currency case.
    assert items(profile, rows[1]) == txn(
        "T-2",
        "qbo:58",
        amount=-1500.0,
        currency="JMD",
        date="2024-02-15",
        channel="cash",
        description="Refund",
    )
    assert items(profile, rows[2]) == txn(
        "T-3",
        "instagram:tashasnails",
        amount=120.5,
        currency="USD",
        date="2024-02-16",
        channel="bank transfer",
        description="Online booking",
    )


@pytest.mark.parametrize(
    ("index", "kind", "field"),
    [
        (3, ValidationError, "amount"),  # blank
        (4, RowRejected, "amount"),  # "N/A"
        (5, InvalidValue, "amount"),  # "abc"
        (6, ValidationError, "currency"),  # "JAMAICAN"
    ],
)
def test_transactions_bad_rows(index: int, kind: type[Exception], field: str) -> None:
    exc = failure(get_profile("transactions"), csv_rows("transactions.csv")[index])
    assert_names_field(exc, kind, field)


def test_an_api_edit_is_normalised_like_any_source_row() -> None:
    profile = get_profile("api-edits")
    [record] = profile.to_items(profile.parse({
        "customer_id": "C1", "first_name": "ann", "last_name": "BROWN",
        "email": " Ann@Example.COM ", "phone": "876 555 1234", "parish": "st andrew",
        "edited_by": "rep-1",
    }))  # fmt: skip
    assert record.key == "api:C1"
    assert record.fields["name"] == "Ann Brown" and record.fields["parish"] == "St. Andrew"
    assert record.emails == ["ann@example.com"] and record.phones == ["+18765551234"]
    assert record.fields["edited_by"] == "rep-1"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"customer_id": "C1"}, "changes no field"),
        ({"customer_id": "C1", "kind": "robot", "email": "a@b.co"}, "person or business"),
    ],
)
def test_an_api_edit_that_says_nothing_or_nonsense_is_refused(
    raw: dict[str, str], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        get_profile("api-edits").parse(raw)
