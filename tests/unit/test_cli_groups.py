"""The model groups of the `c360` command: listed always, loaded only when run."""

from __future__ import annotations

import subprocess
import sys

import pytest
import typer.main

from c360.cli import MODEL_GROUPS, model_group


def test_importing_the_command_line_loads_no_model_library() -> None:
    code = (
        "import sys, c360.cli; "
        "print(sorted(m for m in ('torch', 'spacy', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(MODEL_GROUPS))
def test_each_model_group_loads_its_commands(name: str) -> None:
    group = typer.main.get_group(model_group(name))
    assert group.commands, f"c360 {name} has no commands"
