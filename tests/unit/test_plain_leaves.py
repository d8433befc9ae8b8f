"""The API's executor reads plain leaf fields itself (`api.schema._ExecutionContext`): it
must answer exactly as graphql-core's general path does, errors included."""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.schema import _PLAIN_LEAVES, _ExecutionContext


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    name: str
    nickname: str | None
    size: int
    colour: Colour
    tags: list[str]
    notes: list[str | None]

    @strawberry.field
    def shout(self) -> str:  # a resolver: never a plain leaf
        return self.name.upper()


GOOD = {"name": "a", "nickname": None, "size": 3, "colour": Colour.BLUE, "tags": ["x", "y"],
        "notes": ["n", None]}  # fmt: skip


def _query_of(things: list[dict[str, Any]]) -> type:
    @strawberry.type
    class Query:
        @strawberry.field
        def things(self) -> list[Thing | None]:
            return [Thing(**t) for t in things]

    return Query


def _answer(context_class: type, things: list[dict[str, Any]]) -> Any:
    schema = strawberry.Schema(query=_query_of(things), execution_context_class=context_class)
    result = asyncio.run(
        schema.execute("{ things { name nickname size colour tags notes shout __typename } }")
    )
    errors = [(e.message, e.path) for e in result.errors or []]
    return result.data, errors, schema


@pytest.mark.parametrize(
    "things",
    [
        [GOOD, {**GOOD, "nickname": "b", "tags": []}],
        [{**GOOD, "name": None}],  # null where none is allowed
        [{**GOOD, "size": "big"}],  # does not serialize as an Int
        [{**GOOD, "tags": ["x", None]}],  # a null item in [String!]!
        [{**GOOD, "colour": "green"}],  # no such enum value
        [{**GOOD, "tags": ("x", "y")}, GOOD],  # not a list: the general path
    ],
    ids=["good", "null", "bad-int", "null-item", "bad-enum", "tuple"],
)
def test_plain_leaves_answer_as_the_general_path(things: list[dict[str, Any]]) -> None:
    data, errors, _ = _answer(_ExecutionContext, things)
    assert (data, errors) == _answer(StrawberryGraphQLCoreExecutionContext, things)[:2]


def test_only_attributes_of_leaf_types_are_plain_leaves() -> None:
    data, errors, schema = _answer(_ExecutionContext, [GOOD])
    assert not errors and data["things"][0]["tags"] == ["x", "y"]
    leaves = _PLAIN_LEAVES[schema._schema]
    assert leaves["Thing", "name"] is not None and leaves["Thing", "tags"] is not None
    assert leaves["Thing", "shout"] is None and leaves["Thing", "notes"] is None
