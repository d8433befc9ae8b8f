"""Errors of the graph layer; each message names the statement, parameter or server at fault."""

from __future__ import annotations


class GraphStoreError(RuntimeError):
    """A statement failed in the store; the message carries the statement name and the cause."""


class UnknownStatement(KeyError, GraphStoreError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class MissingParameter(ValueError, GraphStoreError):
    pass


class ReadOnlyViolation(GraphStoreError):
    """A write was attempted through a read-only entry point."""


class GraphServerCrashed(GraphStoreError):
    """The embedded FalkorDB server process died; the message has its exit code and log tail."""
