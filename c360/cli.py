"""The `c360` command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from c360.logs import configure_logging
from c360.settings import Settings
from c360.wiring import open_graph
from graph.errors import GraphStoreError
from ingest.pipeline import IngestSummary, ingest_file, replay
from ingest.quarantine import Quarantine
from ingest.readers import SourceFileError

app = typer.Typer(help="c360: graph-centric customer intelligence.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Rows that could not be ingested.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
# Piped output (make demo, CI logs) gets a width that fits the summary tables.
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True)


def _settings() -> Settings:
    settings = Settings()
    configure_logging(settings.log_level, json_lines=False)
    return settings


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code=2)


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), console=err,
        disable=not err.is_terminal,
    )  # fmt: skip


def _summary_table(summaries: list[IngestSummary]) -> Table:
    table = Table(title="ingest summary")
    for column in (
        "file",
        "profile",
        "rows",
        "new",
        "updated",
        "unchanged",
        "quarantined",
        "rows/s",
    ):
        table.add_column(column, justify="left" if column in {"file", "profile"} else "right")
    for s in summaries:
        table.add_row(Path(s.origin).name, s.profile, f"{s.rows:,}", f"{s.new:,}", f"{s.updated:,}",
                      f"{s.unchanged:,}", f"{s.quarantined:,}", f"{s.rows_per_second:,.0f}")  # fmt: skip
    return table


def _run_ingest(store: Any, settings: Settings, files: list[tuple[Path, str]], progress: Progress,
                estimates: dict[Path, int] | None = None) -> list[IngestSummary]:  # fmt: skip
    quarantine = Quarantine(settings.quarantine_dir)
    summaries = []
    for path, profile in files:
        total = (estimates or {}).get(path)
        task = progress.add_task(f"{path.name} ({profile})", total=total, rate="")
        done = 0

        def advance(n: int, task: Any = task) -> None:
            nonlocal done
            done += n
            elapsed = progress.tasks[task].elapsed or 0
            progress.update(
                task, advance=n, rate=f"{done / elapsed:,.0f} rows/s" if elapsed else ""
            )

        summary = ingest_file(path, profile, store, quarantine, batch_size=settings.batch_size,
                              on_progress=advance)  # fmt: skip
        progress.update(task, total=summary.rows, completed=summary.rows)
        summaries.append(summary)
    return summaries


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="A .csv, .xlsx, .json or .jsonl export.")],
    source: Annotated[
        str, typer.Option("--source", "-s", help="Source profile, e.g. crm-contacts.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Ingest one file with a source profile."""
    from ingest.profiles import PROFILES

    if source not in PROFILES:
        raise _fail(f"unknown source profile {source!r}; known: {', '.join(sorted(PROFILES))}")
    settings = _settings()
    try:
        with open_graph(settings) as store, _progress() as progress:
            summaries = _run_ingest(store, settings, [(path, source)], progress)
    except SourceFileError as exc:
        raise _fail(str(exc)) from None
    except GraphStoreError as exc:
        raise _fail(f"graph store: {exc}") from None
    if as_json:
        print(json.dumps(summaries[0].as_dict()))
    else:
        console.print(_summary_table(summaries))
        _print_reasons(summaries)


def _print_reasons(summaries: list[IngestSummary]) -> None:
    for s in summaries:
        if s.quarantined:
            reasons = ", ".join(f"{k} ({v})" for k, v in s.reasons.most_common(3))
            console.print(f"  {Path(s.origin).name}: {s.quarantined} quarantined: {reasons}")
    if any(s.quarantined for s in summaries):
        console.print("  see them with `c360 quarantine list`")


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """What the graph holds: nodes per label, edges per type, records per source."""
    settings = _settings()
    with open_graph(settings) as store:
        counts = store.run("views/graph_stats")
        sources = store.run("views/records_by_source")
    if as_json:
        print(json.dumps({"counts": {r["kind"]: r["count"] for r in counts}, "sources": sources}))
        return
    table = Table(title="graph")
    table.add_column("nodes / edges")
    table.add_column("count", justify="right")
    for r in counts:
        table.add_row(r["kind"], f"{r['count']:,}")
    console.print(table)
    by_source = Table(title="records by source")
    for column in ("source", "kind", "records"):
        by_source.add_column(column)
    for r in sources:
        by_source.add_row(str(r["source"]), str(r["kind"]), f"{r['records']:,}")
    console.print(by_source)


@app.command()
def cypher(
    statement: Annotated[str, typer.Argument(help="Cypher text.")],
    params: Annotated[str, typer.Option("--params", help="Parameters as a JSON object.")] = "{}",
    write: Annotated[
        bool, typer.Option("--write", help="Allow statements that change the graph.")
    ] = False,
) -> None:
    """Run Cypher against the graph; read-only unless --write. Rows print as JSON lines."""
    settings = _settings()
    try:
        parameters = json.loads(params)
    except json.JSONDecodeError as exc:
        raise _fail(f"--params is not JSON: {exc}") from None
    try:
        with open_graph(settings) as store:
            rows = store.run_cypher(statement, parameters, read_only=not write)
    except GraphStoreError as exc:
        hint = " (add --write to allow writes)" if "refused" in str(exc) else ""
        raise _fail(f"{exc}{hint}") from None
    for row in rows:
        print(json.dumps(row, default=str, ensure_ascii=False))


@quarantine_app.command("list")
def quarantine_list(
    profile: Annotated[str | None, typer.Option("--source", "-s")] = None,
    file: Annotated[str | None, typer.Option("--file")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Pending quarantined rows: file, line, source, reason."""
    settings = _settings()
    entries = Quarantine(settings.quarantine_dir).pending(profile=profile, file=file)
    if as_json:
        for e in entries[:limit]:
            print(json.dumps(e.__dict__, default=str, ensure_ascii=False))
        return
    table = Table(title=f"quarantine: {len(entries):,} pending")
    for column in ("id", "file", "line", "source", "reason"):
        table.add_column(column, overflow="fold")
    for e in entries[:limit]:
        table.add_row(e.id, Path(e.file).name, str(e.line), e.profile, e.reason)
    console.print(table)


@quarantine_app.command("replay")
def quarantine_replay(
    profile: Annotated[str | None, typer.Option("--source", "-s")] = None,
    file: Annotated[str | None, typer.Option("--file")] = None,
) -> None:
    """Run pending quarantined rows through their profile again (after a fix upstream)."""
    settings = _settings()
    quarantine = Quarantine(settings.quarantine_dir)
    with open_graph(settings) as store:
        summaries = replay(
            store, quarantine, profile=profile, file=file, batch_size=settings.batch_size
        )
    if not summaries:
        console.print("nothing to replay")
        return
    console.print(_summary_table(summaries))
    _print_reasons(summaries)


@app.command("demo-data")
def demo_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the data set into.")],
    people: Annotated[int, typer.Option("--people", min=10, max=1_000_000)] = 2_000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Write a realistic multi-source demo data set with its ground truth."""
    from ingest.demo_data import generate

    with _progress() as progress:
        task = progress.add_task("people", total=people, rate="")
        summary = generate(
            out, people, seed=seed, progress=lambda n: progress.update(task, advance=n)
        )
    console.print(f"wrote {summary.total_records:,} source records for {people:,} people to {out}")


@app.command()
def demo(
    people: Annotated[int, typer.Option("--people", min=10, max=1_000_000)] = 2_000,
    data: Annotated[
        Path | None, typer.Option("--data", help="Data folder (default <home>/demo).")
    ] = None,
) -> None:
    """Generate demo data if there is none, ingest every source, and print a summary."""
    from ingest.demo_data import generate

    settings = _settings()
    folder = data or settings.home_dir / "demo"
    manifest_path = folder / "manifest.json"
    if not manifest_path.exists():
        console.print(f"generating demo data for {people:,} people in {folder}")
        with _progress() as progress:
            task = progress.add_task("people", total=people, rate="")
            generate(folder, people, progress=lambda n: progress.update(task, advance=n))
    manifest = json.loads(manifest_path.read_text())
    files = [(folder / f["file"], f["profile"]) for f in manifest["files"]]
    estimates = {folder / f["file"]: f["rows"] for f in manifest["files"]}
    try:
        with open_graph(settings) as store, _progress() as progress:
            summaries = _run_ingest(store, settings, files, progress, estimates)
            counts = store.run("views/graph_stats")
    except (SourceFileError, GraphStoreError) as exc:
        raise _fail(str(exc)) from None
    console.print(_summary_table(summaries))
    _print_reasons(summaries)
    totals = {r["kind"]: r["count"] for r in counts}
    console.print(
        f"[bold green]landed:[/] {sum(s.new + s.updated + s.unchanged for s in summaries):,} of "
        f"{sum(s.rows for s in summaries):,} rows; graph holds {totals.get('Record', 0):,} records, "
        f"{totals.get('Email', 0):,} emails, {totals.get('Phone', 0):,} phones, "
        f"{totals.get('Address', 0):,} addresses, {totals.get('Interaction', 0):,} interactions, "
        f"{totals.get('Transaction', 0):,} transactions"
    )


def main() -> None:  # pragma: no cover
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
