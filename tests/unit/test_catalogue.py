from __future__ import annotations

from pathlib import Path

import pytest

from c360.settings import REPO_ROOT
from graph.catalogue import Catalogue, parameters_of, parse_statement, split_statements
from graph.errors import MissingParameter, UnknownStatement
from graph.model import NODE_KEYS, SECONDARY_INDEXES


def test_parameters_ignore_strings_and_comments() -> None:
    text = "MATCH (n {k: $key}) // not $this\nRETURN '$nor_this', \"$nor_that\", $limit"
    assert parameters_of(text) == {"key", "limit"}


def test_header_comments_become_metadata() -> None:
    s = parse_statement(
        "area/x", '// doc: does x\n// writes: true\n// example: {"a": 1}\nRETURN $a'
    )
    assert (s.doc, s.writes, s.example, s.text) == ("does x", True, {"a": 1}, "RETURN $a")


def test_unknown_name_and_missing_parameter() -> None:
    catalogue = Catalogue(REPO_ROOT / "cypher")
    with pytest.raises(UnknownStatement, match="ingest/nope.*statements in that area: ingest/"):
        catalogue.get("ingest/nope")
    with pytest.raises(MissingParameter, match="needs parameter\\(s\\) keys; given: none"):
        catalogue.get("ingest/lookup_records").check({})


def test_every_statement_has_a_runnable_example() -> None:
    for statement in Catalogue(REPO_ROOT / "cypher"):
        assert statement.example.keys() >= statement.parameters, statement.name
        assert statement.doc, f"{statement.name} has no '// doc:' line"


def test_bad_file_names_are_refused(tmp_path: Path) -> None:
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "Bad-Name.cypher").write_text("RETURN 1")
    with pytest.raises(ValueError, match="lower_snake_case"):
        Catalogue(tmp_path)


def test_schema_files_cover_every_key() -> None:
    falkordb = split_statements((REPO_ROOT / "cypher/schema/falkordb.cypher").read_text())
    neo4j = split_statements((REPO_ROOT / "cypher/schema/neo4j.cypher").read_text())
    for label, prop in NODE_KEYS.items():
        assert f"CREATE INDEX FOR (n:{label}) ON (n.{prop})" in falkordb
        assert any(f"(n:{label}) REQUIRE n.{prop} IS UNIQUE" in s for s in neo4j), label
    for label, props in SECONDARY_INDEXES.items():
        for prop in props:
            assert f"CREATE INDEX FOR (n:{label}) ON (n.{prop})" in falkordb
            assert any(f"(n:{label}) ON (n.{prop})" in s for s in neo4j), (label, prop)


def test_rebuilding_a_customer_keeps_every_score_the_api_shows() -> None:
    """The two statements that rebuild golden records name what other jobs wrote on a
    Customer, to set it again; a score field added elsewhere must be kept there too, and
    so must the activity dates graph/customer_activity.py keeps."""
    import re

    from api.schema import SCORE_FIELDS
    from graph.customer_activity import STORED

    catalogue = Catalogue(REPO_ROOT / "cypher")
    for name in ("resolve/upsert_customers", "resolve/apply_incremental"):
        text = catalogue.get(name).text
        read = re.search(r"\[(c\.\w+(?:,\s*c\.\w+)*)\] AS kept", text)
        assert read is not None, name
        kept = [field.strip()[2:] for field in read.group(1).split(",")]
        restored = re.findall(r"c\.(\w+)\s*=\s*kept\[(\d+)\]", text)
        assert sorted(kept) == sorted([*SCORE_FIELDS, *STORED]), name
        assert [(f, str(i)) for i, f in enumerate(kept)] == restored, name
