"""`c360 notes ...`: the notes job over the configured graph, and one text analysed."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

notes_app = typer.Typer(help="Notes NLP: mentions, referral phrases, sentiment.",
                        no_args_is_help=True)  # fmt: skip
console = Console()
err = Console(stderr=True)

MODEL_HELP = "auto (the statistical model when installed), none (rules only), or a spaCy package"


@notes_app.command("run")
def run(
    full: Annotated[bool, typer.Option("--full", help="Analyse every text again.")] = False,
    model: Annotated[str, typer.Option("--model", help=MODEL_HELP)] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Analyse interaction notes and social texts; write MENTIONS and candidate REFERRED edges."""
    from c360.logs import configure_logging
    from c360.settings import Settings
    from c360.wiring import open_graph
    from graph.errors import GraphStoreError
    from ml.notes.job import NotesConfig, NotesJob
    from ml.notes.pipeline import ModelNotAvailable

    settings = Settings()
    configure_logging(settings.log_level, json_lines=False)
    try:
        with open_graph(settings) as store:
            report = NotesJob(store, NotesConfig(model=model, batch=settings.batch_size)).run(
                full=full
            )
    except (GraphStoreError, ModelNotAvailable) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    if as_json:
        print(json.dumps(report.summary(), default=str))
        return
    table = Table(title=f"notes ({report.model}, {report.seconds:.1f} s)")
    table.add_column("measure")
    table.add_column("count", justify="right")
    rows = [("texts read", report.texts), ("analysed", report.analysed),
            ("unchanged", report.unchanged),
            *((f"status {k}", v) for k, v in sorted(report.statuses.items())),
            *((f"mentions {k}", v) for k, v in sorted(report.mentions.items())),
            *((f"linked by {k}", v) for k, v in sorted(report.linked.items())),
            ("ambiguous", report.ambiguous), ("own customer", report.own_customer),
            ("candidate referrals", report.referrals),
            ("referrals unresolved", report.referrals_unresolved),
            ("referrals removed", report.referrals_removed)]  # fmt: skip
    for name, value in rows:
        table.add_row(name, f"{value:,}")
    console.print(table)


@notes_app.command("analyse")
def analyse(
    text: Annotated[str, typer.Argument(help="A note, in quotes.")],
    model: Annotated[str, typer.Option("--model", help=MODEL_HELP)] = "auto",
) -> None:
    """Print what the pipeline finds in one text (no graph: names come from rules only)."""
    from ml.notes.pipeline import ModelNotAvailable, NotesAnalyser, as_dict

    try:
        analyser = NotesAnalyser(model=model)
    except ModelNotAvailable as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    print(json.dumps({"pipeline": analyser.name, **as_dict(analyser.analyse(text))}))
