"""`c360 links ...`: train the link predictor on the configured graph, write its predictions.

The composition root adds `links_app` to the `c360` command; the store is opened through
`c360.wiring` (imported when a command runs, so importing this module opens nothing).
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from c360.settings import Settings
from ml.links.data import ANY, KINDS, LinkPredictionError, load_graph
from ml.links.train import (
    OURS,
    LinkEvaluation,
    TrainConfig,
    artefact_dir,
    load,
    save,
    train_links,
)
from ml.links.writeback import predict_links

links_app = typer.Typer(help="GNN link prediction: likely referrals and relationships.",
                        no_args_is_help=True)  # fmt: skip
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True)

Kind = Annotated[
    str,
    typer.Option("--kind", help=f"What to predict: {ANY} (any relationship) or one of "
                 f"{', '.join(KINDS)}."),
]  # fmt: skip


def _check_kind(kind: str) -> str:
    kind = kind.upper()
    if kind != ANY and kind not in KINDS:
        err.print(f"[bold red]error:[/] unknown kind {kind!r}; use {ANY} or {', '.join(KINDS)}")
        raise typer.Exit(code=2)
    return kind


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(code=2)


def evaluation_table(evaluation: LinkEvaluation) -> Table:
    split = "time-respecting" if evaluation.timed_split else "random (no dates)"
    table = Table(title=f"link prediction, {evaluation.kind} on {evaluation.graph} ({split}: "
                  f"{evaluation.supervision:,} supervision, {evaluation.test:,} test edges)")  # fmt: skip
    for column in ("method", "ROC-AUC", "AP"):
        table.add_column(column)
    for name, score in sorted(evaluation.methods.items(), key=lambda m: -m[1].auc):
        label = f"[bold]{name}[/]" if name == OURS else name
        table.add_row(label, f"{score.auc:.4f}", f"{score.ap:.4f}")
    return table


@links_app.command()
def train(
    kind: Kind = ANY,
    epochs: Annotated[int, typer.Option(min=1, max=5_000)] = TrainConfig.epochs,
    seed: int = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Train on older relationships, test on the latest, compare with the heuristics and
    keep the model with its evaluation (it ships only if it beat them all)."""
    from c360.wiring import open_graph

    kind = _check_kind(kind)
    settings = Settings()
    try:
        with open_graph(settings) as store:
            graph = load_graph(store, settings.graph_name)
        trained = train_links(graph, kind, TrainConfig(epochs=epochs, seed=seed))
    except LinkPredictionError as exc:
        raise _fail(exc) from None
    folder = save(trained, artefact_dir(settings.home_dir, settings.graph_name, kind))
    evaluation = trained.evaluation
    if as_json:
        print(json.dumps(evaluation.to_json() | {"artefact": str(folder)}))
        return
    console.print(evaluation_table(evaluation))
    verdict = "[bold green]shipped[/]" if evaluation.shipped else "[bold red]not shipped[/]"
    console.print(f"{evaluation.model}: {verdict}: {evaluation.reason}; saved in {folder}")


@links_app.command()
def predict(
    kind: Kind = ANY,
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="Only this customer; repeat.")
    ] = None,
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.5,
    per_customer: Annotated[int, typer.Option(min=1, max=100)] = 5,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Write PREDICTED_LINK edges from the trained model (refused if it lost to a heuristic),
    announcing new and changed ones (link.predicted) to the alert rules and the event stream."""
    from c360.wiring import open_services
    from workers.signals import Signals, stream_publisher

    kind = _check_kind(kind)
    settings = Settings()
    try:
        loaded = load(artefact_dir(settings.home_dir, settings.graph_name, kind))
        with open_services(settings) as services:
            store = services.store
            signals = Signals(store, stream_publisher(services.redis_url))
            report = predict_links(store, loaded, settings.graph_name, customers=customer,
                                   threshold=threshold, per_customer=per_customer,
                                   signals=signals)  # fmt: skip
    except LinkPredictionError as exc:
        raise _fail(exc) from None
    if as_json:
        print(json.dumps(report.summary()))
        return
    console.print(f"{report.model}: {report.written:,} predicted links written, "
                  f"{report.removed:,} stale removed, from {report.candidates:,} candidate "
                  f"pairs over {report.customers:,} customers ({report.seconds:.1f} s); "
                  f"{report.announced:,} link.predicted events, {report.alerts:,} alerts")  # fmt: skip
    for customer_id in report.no_history:
        console.print(f"customer {customer_id} has no relationships yet: nothing to predict from")
