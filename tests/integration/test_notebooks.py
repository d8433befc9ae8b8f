"""Execute the analyst notebooks top to bottom against a real (embedded) FalkorDB.

The notebook runs in a fresh Jupyter kernel (nbclient) whose environment points at the
session's server, a graph of its own and a temporary C360_HOME, so it generates, ingests
and resolves its small demo data set itself. The tests then read what the cells printed
and drew, found by the tags of the cells.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from c360.settings import REPO_ROOT
from graph.catalogue import Catalogue
from graph.embedded import ServerInfo
from graph.falkordb_store import FalkorDBStore

NOTEBOOK = REPO_ROOT / "notebooks" / "identity_resolution.ipynb"
MODELS_NOTEBOOK = REPO_ROOT / "notebooks" / "relationships_and_models.ipynb"
# A guard against a hung cell, not a benchmark.
CELL_TIMEOUT_S = 300


def _cell(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(
        o.get("text", "") for o in cell.outputs if o.output_type == "stream" and o.name == "stdout"
    )


def _data(cell: nbformat.NotebookNode, mime: str) -> list[Any]:
    return [
        o.data[mime]
        for o in cell.outputs
        if o.output_type in ("display_data", "execute_result") and mime in o.data
    ]


@contextmanager
def _executed(
    path: Path, server: ServerInfo, catalogue: Catalogue, home: Path
) -> Iterator[nbformat.NotebookNode]:
    """The notebook at `path` after running in a kernel on a fresh graph of its own."""
    graph_name = f"nb_{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("C360_")}
    env.pop("MPLBACKEND", None)  # the kernel's inline backend draws the PNGs checked below
    env.update(
        C360_GRAPH_URI=f"redis://127.0.0.1:{server.port}",
        C360_GRAPH_NAME=graph_name,
        C360_HOME=str(home),
        C360_LOG_LEVEL="WARNING",
    )
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(REPO_ROOT)}},
    )
    try:
        client.execute(env=env)
        yield nb
    finally:
        store = FalkorDBStore(catalogue, port=server.port, graph_name=graph_name)
        store.clear()
        store.close()


@pytest.fixture(scope="module")
def executed(
    falkordb_server: ServerInfo, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[nbformat.NotebookNode]:
    """The identity-resolution notebook, run on a fresh graph."""
    home = tmp_path_factory.mktemp("notebook-home")
    with _executed(NOTEBOOK, falkordb_server, catalogue, home) as nb:
        yield nb


@pytest.fixture(scope="module")
def executed_models(
    falkordb_server: ServerInfo, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[nbformat.NotebookNode]:
    """The relationships-and-models notebook, run on a fresh graph."""
    home = tmp_path_factory.mktemp("models-notebook-home")
    with _executed(MODELS_NOTEBOOK, falkordb_server, catalogue, home) as nb:
        yield nb


def _ran_without_error(nb: nbformat.NotebookNode) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"cell {cell.get('id')} did not run"
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"cell {cell.get('id')}: {errors}"


@pytest.mark.parametrize("path", [NOTEBOOK, MODELS_NOTEBOOK], ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {cell.get('id')} has outputs: clear them"
            assert cell.execution_count is None


@pytest.mark.falkordb
def test_notebook_runs_without_error(executed: nbformat.NotebookNode) -> None:
    _ran_without_error(executed)


@pytest.mark.falkordb
def test_notebook_loaded_and_resolved_demo_data(
    executed: nbformat.NotebookNode,
) -> None:
    nb = executed
    load = _cell(nb, "load")
    assert any("crm_contacts.csv" in html for html in _data(load, "text/html"))
    resolve = _cell(nb, "resolve")
    assert any("candidate_pairs" in html for html in _data(resolve, "text/html"))


@pytest.mark.falkordb
@pytest.mark.parametrize("tag", ["match-weights", "cluster-sizes", "waterfall"])
def test_chart_cells_draw_a_png(executed: nbformat.NotebookNode, tag: str) -> None:
    nb = executed
    images = _data(_cell(nb, tag), "image/png")
    assert len(images) == 1
    assert len(images[0]) > 1_000  # base64 of a real chart, not an empty figure


@pytest.mark.falkordb
def test_match_weights_describe_every_comparison(
    executed: nbformat.NotebookNode,
) -> None:
    nb = executed
    text = _stdout(_cell(nb, "describe"))
    assert re.search(r"prior λ = \S+ \([+-]\d+\.\d\d log2 odds\)", text)
    for name in ("given_name", "family_name", "email", "phone"):
        assert re.search(rf"^{name}$", text, re.MULTILINE), name


@pytest.mark.falkordb
def test_review_queue_is_a_table(executed: nbformat.NotebookNode) -> None:
    nb = executed
    cell = _cell(nb, "review-queue")
    assert re.search(r"\d+ pairs shown \(at most 10\)", _stdout(cell))
    html = _data(cell, "text/html")
    assert html and all(column in html[0] for column in ("a_name", "probability", "evidence"))


@pytest.mark.falkordb
def test_cluster_sizes_add_up(executed: nbformat.NotebookNode) -> None:
    nb = executed
    text = _stdout(_cell(nb, "cluster-sizes"))
    match = re.search(r"([\d,]+) records resolve to ([\d,]+) customers", text)
    assert match, text
    records, customers = (int(g.replace(",", "")) for g in match.groups())
    assert records > customers > 0


@pytest.mark.falkordb
def test_explanation_adds_up_to_a_probability(
    executed: nbformat.NotebookNode,
) -> None:
    nb = executed
    text = _stdout(_cell(nb, "explain"))
    assert re.search(r"^prior\s+[+-]\d+\.\d\d$", text, re.MULTILINE), text
    match = re.search(r"match weight ([+-]\d+\.\d\d), probability (\d\.\d+)", text)
    assert match, text
    assert 0.0 <= float(match.group(2)) <= 1.0


@pytest.mark.falkordb
def test_evaluation_prints_precision_recall_f1(
    executed: nbformat.NotebookNode,
) -> None:
    nb = executed
    text = _stdout(_cell(nb, "evaluation"))
    match = re.search(r"pairwise: precision (\d\.\d+), recall (\d\.\d+), F1 (\d\.\d+)", text)
    assert match, text
    precision, recall, f1 = (float(g) for g in match.groups())
    assert 0.0 < f1 < 1.0
    assert 0.0 < precision <= 1.0 and 0.0 < recall <= 1.0
    assert re.search(r"exact clusters: precision \d\.\d+, recall \d\.\d+, F1 \d\.\d+", text)


@pytest.mark.falkordb
def test_models_notebook_runs_without_error(executed_models: nbformat.NotebookNode) -> None:
    _ran_without_error(executed_models)


@pytest.mark.falkordb
@pytest.mark.parametrize("tag", ["network", "roc", "calibration"])
def test_models_notebook_draws_its_charts(executed_models: nbformat.NotebookNode, tag: str) -> None:
    images = _data(_cell(executed_models, tag), "image/png")
    assert len(images) == 1
    assert len(images[0]) > 1_000


@pytest.mark.falkordb
def test_models_notebook_compares_link_prediction_with_the_heuristics(
    executed_models: nbformat.NotebookNode,
) -> None:
    cell = _cell(executed_models, "links")
    html = _data(cell, "text/html")
    assert html and all(m in html[0] for m in ("c360-links", "common", "adamic", "roc_auc"))
    assert re.search(
        r"\d+ test edges, split by time: (True|False); shipped: (True|False)", _stdout(cell)
    )


@pytest.mark.falkordb
def test_models_notebook_shows_influence_and_score_metrics(
    executed_models: nbformat.NotebookNode,
) -> None:
    assert any("influence" in h for h in _data(_cell(executed_models, "influence"), "text/html"))
    scores = _data(_cell(executed_models, "scores"), "text/html")
    assert scores and "auc" in scores[0].lower()
