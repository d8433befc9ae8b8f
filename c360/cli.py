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
from c360.wiring import open_graph, open_services
from graph.errors import GraphStoreError
from ingest.pipeline import IngestSummary, ingest_file, replay
from ingest.quarantine import Quarantine
from ingest.readers import SourceFileError

app = typer.Typer(help="c360: graph-centric customer intelligence.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Rows that could not be ingested.", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
review_app = typer.Typer(help="The review queue of possible matches.", no_args_is_help=True)
app.add_typer(review_app, name="review")
alerts_app = typer.Typer(help="Alert signals checked on a schedule.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
# Piped output (make demo, CI logs) gets a width that fits the summary tables.
console = Console(width=None if sys.stdout.isatty() else 120)
err = Console(stderr=True)


def _settings(*, service: bool = False) -> Settings:
    """The settings, with logging set up: a service (`serve`, `capture`, `apply`) logs one
    JSON object per line at `C360_LOG_LEVEL`, for log shipping; the other commands talk
    through rich and show only warnings from the libraries beneath."""
    settings = Settings()
    configure_logging(settings.log_level, json_lines=service)
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
    resolve: Annotated[
        bool,
        typer.Option(help="Resolve the new and changed records to customers right away."),
    ] = True,
) -> None:
    """Ingest one file with a source profile."""
    from ingest.profiles import PROFILES
    from resolvers.identity import NotTrained

    if source not in PROFILES:
        raise _fail(f"unknown source profile {source!r}; known: {', '.join(sorted(PROFILES))}")
    settings = _settings()
    report = None
    try:
        with open_services(settings) as services, _progress() as progress:
            store = services.store
            summaries = _run_ingest(store, settings, [(path, source)], progress)
            if resolve:
                resolver = _resolver(store, progress, _signals(store, services.redis_url))
                try:
                    report = resolver.resolve_records(resolver.pending())
                except NotTrained:
                    err.print(
                        "not resolved yet: run `c360 resolve --full` once to train the match model"
                    )
    except SourceFileError as exc:
        raise _fail(str(exc)) from None
    except GraphStoreError as exc:
        raise _fail(f"graph store: {exc}") from None
    if as_json:
        print(json.dumps(summaries[0].as_dict()))
    else:
        console.print(_summary_table(summaries))
        _print_reasons(summaries)
        if report is not None:
            _print_resolution(report)


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
    serve_api: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the API afterwards (Ctrl-C stops).")
    ] = True,
) -> None:
    """Generate demo data if there is none, ingest and resolve every source, print a
    summary, then serve the API on it."""
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
            report = _resolve(store, full=True, retrain=False, progress=progress)
            quality = _evaluate(store, folder / manifest.get("truth", "truth.jsonl"))
            relations = _relate(store)
            models = _demo_models(store, settings)
    except (SourceFileError, GraphStoreError) as exc:
        raise _fail(str(exc)) from None
    console.print(_summary_table(summaries))
    _print_reasons(summaries)
    _print_resolution(report)
    pairwise, cluster = quality["pairwise"], quality["cluster"]
    console.print(
        f"[bold green]identity:[/] {quality['records']:,} records -> {quality['clusters']:,} customers "
        f"(truth: {quality['entities']:,}); pairwise precision {pairwise['precision']:.4f}, "
        f"recall {pairwise['recall']:.4f}, F1 {pairwise['f1']:.4f}; exact clusters "
        f"F1 {cluster['f1']:.4f}"
        + (  # how hard the data is: a namesake is told apart by other evidence or not at all
            f"; {manifest['namesake_share']:.1%} of people share their full name"
            if "namesake_share" in manifest
            else ""
        )
    )
    totals = {r["kind"]: r["count"] for r in counts}
    console.print(
        f"[bold green]landed:[/] {sum(s.new + s.updated + s.unchanged for s in summaries):,} of "
        f"{sum(s.rows for s in summaries):,} rows; graph holds {totals.get('Record', 0):,} records, "
        f"{totals.get('Email', 0):,} emails, {totals.get('Phone', 0):,} phones, "
        f"{totals.get('Address', 0):,} addresses, {totals.get('Interaction', 0):,} interactions, "
        f"{totals.get('Transaction', 0):,} transactions"
    )
    _print_relations(relations)
    for line in models:
        console.print(line)
    if serve_api:
        serve()


def _demo_models(store: Any, settings: Settings) -> list[str]:
    """The notes NLP and the score models on the demo graph, a summary line each; a model
    the data cannot train says why instead of stopping the demo."""
    from ml.notes.job import NotesJob
    from ml.scores.job import ScoresJob
    from ml.scores.models import InsufficientLabels
    from ml.scores.registry import ModelRegistry
    from workers.signals import QuietCheck, add_example_rules

    rules = add_example_rules(store, actor="demo")  # before scoring: its crossings alert
    notes = NotesJob(store).run()
    lines = [
        f"[bold green]notes:[/] {notes.analysed:,} texts analysed ({notes.model}); mentions "
        f"linked {sum(notes.linked.values()):,}, ambiguous {notes.ambiguous:,}; candidate "
        f"referrals {notes.referrals:,}"
    ]
    job = ScoresJob(store, ModelRegistry.under_home(settings.home_dir))
    try:
        trained = job.train()
        scored = job.score()
    except InsufficientLabels as refusal:
        return [*lines, f"[bold yellow]scores:[/] not trained ({refusal})"]
    aucs = ", ".join(
        f"{name} AUC {m['auc']:.3f}" for name, m in trained.metrics.items() if m.get("auc")
    )
    lines.append(
        f"[bold green]scores:[/] model {trained.version} ({aucs}, held-out, synthetic data); "
        f"{scored.scored:,} customers scored, {scored.insufficient_history:,} with too little "
        "history (base rates)"
    )
    quiet = QuietCheck(store).run()
    lines.append(
        f"[bold green]alerts:[/] {rules} example rules added; raised {scored.alerts:,} on "
        f"scoring, {quiet.alerts:,} on checking for influential customers gone quiet"
    )
    return lines


# -- identity resolution ------------------------------------------------------------------
def _signals(store: Any, redis_url: str | None = None) -> Any:
    """Announcing what a command found: onto the API's event stream when there is one,
    and through the alert rules (alerts are graph nodes: raised without a stream too)."""
    from workers.signals import Signals, stream_publisher

    return Signals(store, stream_publisher(redis_url))


def _resolver(store: Any, progress: Progress | None = None, signals: Any = None) -> Any:
    """A resolver that announces records attached to another rep's customer."""
    from resolvers.identity import IdentityResolver
    from workers.signals import matched_signals

    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if progress is None:
            return
        if stage not in tasks:
            tasks[stage] = progress.add_task(stage, total=total or None, rate="")
        progress.update(tasks[stage], completed=done, total=total or None)

    signals = signals or _signals(store)
    return IdentityResolver(
        store, progress=report, on_matched=lambda found: signals.emit(matched_signals(found))
    )


def _resolve(
    store: Any, *, full: bool, retrain: bool, progress: Progress | None, signals: Any = None
) -> Any:
    from resolvers.identity import NotTrained

    resolver = _resolver(store, progress, signals)
    if full or retrain:
        return resolver.resolve_full(retrain=retrain)
    try:
        report = resolver.resolve_records(resolver.pending())
    except NotTrained:
        return resolver.resolve_full()
    store.settle()  # all that was pending: a bulk job like a full run
    return report


def _evaluate(store: Any, truth_path: Path) -> dict[str, Any]:
    from ingest.demo_data import read_truth
    from resolvers.evaluation import evaluate

    return evaluate(_resolver(store).assignments(), read_truth(truth_path))


def _print_resolution(report: Any) -> None:
    console.print(
        f"[bold green]resolved:[/] {report.records:,} records ({report.mode}), "
        f"{report.candidate_pairs:,} candidate pairs, {report.accepted:,} linked surely, "
        f"{report.probable:,} linked probably (to confirm), {report.review:,} possible (to review); customers created {report.created:,}, attached "
        f"{report.attached:,}, merged {report.merged:,}, split {report.split:,}, unchanged "
        f"{report.unchanged:,} ({report.seconds:,.1f} s)"
    )
    for kind, hubs in report.hubs.items():
        found = ", ".join(f"{k} > {hubs.limits[k]}: {n}" for k, n in hubs.hubs.items() if n)
        if found:
            console.print(f"  {kind} hub identifiers (limit learnt from the data): {found}")
    for reason in report.splits[:5]:
        console.print(f"  split: {reason}")


@app.command()
def resolve(
    full: Annotated[bool, typer.Option("--full", help="Re-resolve every record.")] = False,
    retrain: Annotated[
        bool, typer.Option("--retrain", help="Re-train the match model first (implies --full).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Resolve records to customers: the new and changed ones, or all with --full."""
    settings = _settings()
    try:
        with open_services(settings) as services, _progress() as progress:
            store = services.store
            report = _resolve(store, full=full, retrain=retrain, progress=progress,
                              signals=_signals(store, services.redis_url))  # fmt: skip
    except GraphStoreError as exc:
        raise _fail(f"graph store: {exc}") from None
    if as_json:
        print(json.dumps(report.as_dict(), default=str))
    else:
        _print_resolution(report)


@app.command()
def explain(
    record_a: Annotated[str, typer.Argument(help="Record key, e.g. crm:51000012.")],
    record_b: Annotated[str, typer.Argument(help="Record key.")],
) -> None:
    """Why two records match or not: every comparison and its weight."""
    from resolvers.identity import NotTrained

    settings = _settings()
    with open_graph(settings) as store:
        resolver = _resolver(store)
        records = {r.key: r for r in resolver.load_records([record_a, record_b])}
        missing = [k for k in (record_a, record_b) if k not in records]
        if missing:
            raise _fail(f"no record {', '.join(missing)}")
        a, b = records[record_a], records[record_b]
        if a.kind != b.kind:
            raise _fail(
                f"{a.key} is a {a.kind} record and {b.key} a {b.kind} record: never matched"
            )
        try:
            explanation = resolver.scorer(a.kind).explain(a.values, b.values)
        except NotTrained as exc:
            raise _fail(str(exc)) from None
    console.print(str(explanation))
    vetoes = [c.comparison for c in explanation.contributions
              if c.comparison in resolver.config.veto and c.label == "else"]  # fmt: skip
    if vetoes:
        console.print(
            f"never linked without a person: {', '.join(vetoes)} plainly differ (see `veto` in "
            "resolvers/config.py); the pair waits in the review queue"
        )


@app.command()
def customer(
    customer_id: Annotated[str, typer.Argument(help="Customer id.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """A golden record, the records behind it and the decisions that made it."""
    settings = _settings()
    with open_graph(settings) as store:
        rows = store.run("resolve/customer", {"id": customer_id})
    if not rows:
        raise _fail(f"no customer {customer_id}")
    row = rows[0]
    if as_json:
        print(json.dumps(row, default=str))
        return
    golden = row["customer"]
    if golden.get("status") == "merged":
        console.print(f"{customer_id} was merged into {golden.get('merged_into')}")
    table = Table(
        title=f"customer {customer_id} ({golden.get('kind')}, completeness {golden.get('completeness')})"
    )
    table.add_column("field")
    table.add_column("value")
    for key in sorted(golden):
        table.add_row(key, str(golden[key]))
    console.print(table)
    records = Table(title="records")
    for column in ("record", "source", "name", "confidence", "rule"):
        records.add_column(column)
    for r in sorted(row["records"], key=lambda r: r["key"]):
        records.add_row(
            r["key"], str(r["source"]), str(r["name"]), str(r["confidence"]), str(r["rule"])
        )
    console.print(records)
    decisions = Table(title="decisions")
    for column in ("decision", "action", "actor", "reason", "undone by"):
        decisions.add_column(column)
    for d in sorted(row["decisions"], key=lambda d: d["at"], reverse=True):
        decisions.add_row(d["id"], d["action"], d["actor"], d["reason"], str(d["undone_by"] or ""))
    console.print(decisions)


def _steward_op(run: Any) -> None:
    from resolvers.review import StewardError, Stewardship

    settings = _settings()
    with open_graph(settings) as store:
        try:
            report = run(Stewardship(_resolver(store)))
        except StewardError as exc:
            raise _fail(str(exc)) from None
    if report is not None:
        _print_resolution(report)


Actor = Annotated[str, typer.Option("--actor", help="Who decides (for the audit trail).")]
Reason = Annotated[str, typer.Option("--reason", help="Why (for the audit trail).")]


@review_app.command("list")
def review_list(
    limit: Annotated[int, typer.Option("--limit")] = 20,
    skip: Annotated[int, typer.Option("--skip")] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Pairs waiting for a verdict, most likely matches first."""
    from resolvers.review import Stewardship

    settings = _settings()
    with open_graph(settings) as store:
        rows = Stewardship(_resolver(store)).queue(skip=skip, limit=limit)
    if as_json:
        for row in rows:
            print(json.dumps(row, default=str))
        return
    table = Table(title="review queue")
    for column in ("record a", "name a", "record b", "name b", "probability", "now"):
        table.add_column(column)
    for r in rows:
        now = "linked" if r["linked"] else "apart"
        table.add_row(r["a"], str(r["a_name"]), r["b"], str(r["b_name"]), f"{r['score']:.3f}", now)
    console.print(table)


@review_app.command("accept")
def review_accept(
    a: str, b: str, actor: Actor = "steward", reason: Reason = "reviewed: same"
) -> None:
    """The two records are the same customer."""
    _steward_op(lambda s: s.verdict(a, b, "accepted", actor, reason))


@review_app.command("reject")
def review_reject(
    a: str, b: str, actor: Actor = "steward", reason: Reason = "reviewed: different"
) -> None:
    """The two records are different customers."""
    _steward_op(lambda s: s.verdict(a, b, "rejected", actor, reason))


@review_app.command("unsure")
def review_unsure(
    a: str, b: str, actor: Actor = "steward", reason: Reason = "reviewed: not sure"
) -> None:
    """Not sure: the pair leaves the queue, nothing changes."""
    _steward_op(lambda s: s.verdict(a, b, "unsure", actor, reason))


@app.command()
def merge(
    first: str, second: str, actor: Actor = "steward", reason: Reason = "manual merge"
) -> None:
    """Merge two customers; the older id is kept."""
    _steward_op(lambda s: s.merge(first, second, actor, reason))


@app.command()
def split(
    customer_id: str,
    records: Annotated[list[str], typer.Argument(help="Record keys to move to a new customer.")],
    actor: Actor = "steward",
    reason: Reason = "manual split",
) -> None:
    """Move some records of a customer into a new customer."""
    _steward_op(lambda s: s.split(customer_id, records, actor, reason))


@app.command()
def undo(decision_id: str, actor: Actor = "steward", reason: Reason = "undo") -> None:
    """Undo a merge, split or pair verdict (see `c360 customer ID` for decision ids)."""
    _steward_op(lambda s: s.undo(decision_id, actor, reason))


# -- relationships --------------------------------------------------------------------------
def _relate(store: Any) -> Any:
    from resolvers.relations import RelationshipMapper

    return RelationshipMapper(store).run()


def _print_relations(report: Any) -> None:
    table = Table(title=f"relationships ({report.seconds:.1f} s)")
    for column in ("kind", "edges", "created", "updated", "removed"):
        table.add_column(column)
    for kind in sorted(report.edges):
        table.add_row(kind, *(f"{getattr(report, c).get(kind, 0):,}" for c in
                              ("edges", "created", "updated", "removed")))  # fmt: skip
    console.print(table)
    referrals = ", ".join(f"{k} {v:,}" for k, v in sorted(report.referrals.items()))
    console.print(f"referrals by name: {referrals or 'none'}; {report.scored:,} customers scored "
                  f"(influence, community, betweenness), {report.communities:,} communities")  # fmt: skip


@app.command()
def relate(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Derive relationships between customers (referrals by name, households, colleagues,
    shared contacts, events attended together, social follows) and write influence,
    community and betweenness scores."""
    settings = _settings()
    with open_graph(settings) as store:
        report = _relate(store)
    if as_json:
        print(json.dumps(report.summary(), default=str))
        return
    _print_relations(report)


@app.command()
def intros(
    to: Annotated[str, typer.Option("--to", help="The prospect's customer id.")],
    from_ids: Annotated[
        list[str] | None, typer.Option("--from", help="A customer you know; repeat.")
    ] = None,
    rep: Annotated[
        str | None, typer.Option("--rep", help="Start from every active customer of this rep.")
    ] = None,
    max_hops: Annotated[int, typer.Option("--max-hops", min=1, max=6)] = 4,
) -> None:
    """Warm introductions: the best paths from customers you know to a prospect."""
    from resolvers.relations import warm_intros

    if not from_ids and not rep:
        raise _fail("give --from CUSTOMER_ID (repeatable) or --rep NAME")
    settings = _settings()
    with open_graph(settings) as store:
        starts = list(from_ids or [])
        if rep:
            starts += [r["id"] for r in store.run_cypher(
                "MATCH (c:Customer {status: 'active'}) WHERE c.owner = $rep RETURN c.id AS id",
                {"rep": rep},
            )]  # fmt: skip
        paths = warm_intros(store, starts, to, max_hops=max_hops)
    if not paths:
        console.print(f"no path of at most {max_hops} hops to {to}")
        return
    for path in paths:
        names = " -> ".join(f"{c.get('name') or c['id']}" for c in path.customers)
        kinds = ", ".join(e["type"] for e in path.edges)
        console.print(f"{path.hops} hops, weakest link {path.min_strength:.2f}: {names} ({kinds})")


# -- change data capture --------------------------------------------------------------------
def _needs(settings: Settings, *names: str) -> None:
    missing = [f"C360_{n.upper()}" for n in names if not getattr(settings, n)]
    if missing:
        raise _fail(f"set {', '.join(missing)} first")


def _until_stopped(stop: Any) -> None:
    """SIGTERM (as from a process manager) stops the worker as Ctrl-C does."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: stop())


@app.command()
def capture() -> None:
    """Stream the system of record's changes (Debezium: PostgreSQL or SQL Server) to Kafka
    until stopped."""
    from sqlalchemy.engine import make_url

    from workers.bus.kafka import KafkaBus
    from workers.cdc.capture import Capture, CaptureError, sor_dialect
    from workers.cdc.metrics import serve_capture_metrics
    from workers.cdc.postgres import LogicalWalError, ensure_logical_wal

    settings = _settings(service=True)
    _needs(settings, "sor_url", "kafka_bootstrap")
    assert settings.sor_url is not None and settings.kafka_bootstrap is not None
    try:
        if sor_dialect(settings.sor_url) == "postgresql":  # SQL Server: enable_cdc.sql
            ensure_logical_wal(
                make_url(settings.sor_url).set(database="postgres").render_as_string(False)
            )
    except (CaptureError, LogicalWalError) as exc:
        raise _fail(str(exc)) from None
    bus = KafkaBus(settings.kafka_bootstrap, client_id="c360-capture")
    worker = Capture(settings.sor_url, bus, offsets_path=settings.cdc_offsets_file,
                     topic_prefix=settings.cdc_topic_prefix, slot_name=settings.cdc_slot)  # fmt: skip
    metrics = serve_capture_metrics(worker, settings.metrics_port)
    _until_stopped(worker.stop)
    try:
        worker.start()
        worker.wait_ready()
        console.print(f"[bold green]capturing[/] {', '.join(worker.topics)}")
        worker.wait()
    except CaptureError as exc:
        raise _fail(f"capture failed: {exc}") from None
    except KeyboardInterrupt:
        worker.stop()
    finally:
        bus.close()
        if metrics is not None:
            metrics.close()


def _announcer(signals: Any) -> Any:
    """Applied changes go onto the API's event stream (subscriptions, webhooks) and
    through the alert rules, as changes made through the API do."""
    if signals.publish is None:
        return None
    from workers.signals import Announcement

    return lambda events: signals.announce_many([Announcement(*e) for e in events])


@app.command(name="apply")
def apply_changes() -> None:
    """Apply captured changes to the graph (idempotent, in order per row) until stopped."""
    from workers.bus.kafka import KafkaBus
    from workers.cdc.apply import Apply
    from workers.cdc.capture import CaptureError, source_schema
    from workers.cdc.metrics import serve_apply_metrics
    from workers.cdc.reps import RepNames

    settings = _settings(service=True)
    _needs(settings, "kafka_bootstrap")
    try:
        schema = source_schema(settings.sor_url)  # SQL Server's topics: c360.dbo.*
    except CaptureError as exc:
        raise _fail(str(exc)) from None
    assert settings.kafka_bootstrap is not None
    bus = KafkaBus(settings.kafka_bootstrap, client_id="c360-apply",
                   consumer_config=settings.kafka_consumer_config)  # fmt: skip
    with open_services(settings) as services:
        store = services.store
        signals = _signals(store, services.redis_url)
        worker = Apply(store, bus, topic_prefix=settings.cdc_topic_prefix,
                       schema=schema,
                       group=settings.apply_group,
                       resolver=_resolver(store, signals=signals),
                       full_run_fraction=settings.apply_full_run_fraction,
                       rep_names=RepNames.from_url(settings.sor_url) if settings.sor_url else None,
                       publish=_announcer(signals))  # fmt: skip
        metrics = serve_apply_metrics(worker, settings.metrics_port)
        _until_stopped(worker.stop)
        try:
            worker.run()
        except KeyboardInterrupt:
            worker.stop()
        finally:
            bus.close()
            if metrics is not None:
                metrics.close()
    print(json.dumps(worker.stats.as_dict(), default=str))  # one line, for a log collector


@alerts_app.command("check")
def alerts_check(
    top_percent: Annotated[
        float, typer.Option(min=0.01, max=100.0, help="Influential: the top this percent.")
    ] = 5.0,
    days: Annotated[int, typer.Option(min=1, max=3_650, help="Days without activity.")] = 90,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Today (YYYY-MM-DD); default the day after the latest activity in the graph.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Check once for influential customers gone quiet: customer.quiet signals, each
    quiet spell raising its alerts once (`c360 worker schedule` checks daily)."""
    from datetime import date

    from workers.signals import QuietCheck, QuietConfig

    try:
        today = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise _fail(f"--as-of: {as_of!r} is not a date (YYYY-MM-DD)") from None
    with open_services(_settings()) as services:
        signals = _signals(services.store, services.redis_url)
        report = QuietCheck(services.store, signals, QuietConfig(top_percent, days)).run(today)
    if as_json:
        print(json.dumps(report.summary()))
        return
    console.print(
        f"[bold green]quiet:[/] {report.quiet:,} of the {report.influential:,} most influential "
        f"customers (top {top_percent}% of {report.ranked:,}) have had no activity for {days}+ "
        f"days to {report.as_of}; {report.alerts:,} alerts raised"
    )


# -- the API ------------------------------------------------------------------------------
@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default C360_API_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default C360_API_PORT.")] = None,
    workers: Annotated[int | None, typer.Option(help="Default C360_API_WORKERS.")] = None,
) -> None:
    """Serve the GraphQL API (GraphiQL at /graphql), REST health, metrics and Cypher."""
    from c360.serving import serve as run_server

    settings = _settings(service=True)
    changes = {k: v for k, v in (("api_host", host), ("api_port", port), ("api_workers", workers))
               if v is not None}  # fmt: skip
    settings = settings.model_copy(update=changes)

    def ready(url: str) -> None:
        console.print(f"[bold green]serving[/] GraphiQL at {url} (Ctrl-C stops)")
        console.print("a token for it: c360 token --role manager --sub me --scope pii")

    run_server(settings, on_ready=ready)


@app.command()
def token(
    role: Annotated[
        list[str],
        typer.Option(
            "--role", help="rep, manager, steward, analyst, integrator, admin; repeat for several."
        ),
    ],
    sub: Annotated[str, typer.Option("--sub", help="Who the token is for (a rep's name or id).")],
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="e.g. pii; repeat for several.")
    ] = None,
    territory: Annotated[
        list[str] | None,
        typer.Option("--territory", help="A parish a rep covers; repeat for several."),
    ] = None,
    ttl: Annotated[int, typer.Option("--ttl", help="Seconds the token is valid.")] = 3600,
) -> None:
    """Mint a development bearer token (HS256, the embedded default's secret)."""
    from api.auth import jwt_secret, mint_token

    settings = _settings()
    if settings.jwks_url:
        raise _fail("tokens come from your identity provider when C360_JWKS_URL is set")
    try:
        print(mint_token(jwt_secret(settings), sub=sub, roles=role, scopes=scope or (),
                         territory=territory or (), ttl_s=ttl, audience=settings.jwt_audience))  # fmt: skip
    except ValueError as exc:
        raise _fail(str(exc)) from None


# The model groups import torch, spaCy or scikit-learn: seconds that every other command
# should not pay. Until one of them is the command being run it is a placeholder holding
# its help, so `c360 --help` still lists it.
MODEL_GROUPS: dict[str, str] = {
    "links": "GNN link prediction: likely referrals and relationships.",
    "notes": "Notes NLP: mentions, referral phrases, sentiment.",
    "scores": "Churn risk, lead score and lifetime value.",
    "worker": "Long-running workers (worker schedule: rescoring and retraining).",
}


def model_group(name: str) -> typer.Typer:
    """The real sub-app of a model group (imports its libraries)."""
    if name == "links":
        from ml.links.cli import links_app

        return links_app
    if name == "notes":
        from ml.notes.cli import notes_app

        return notes_app
    from ml.scores.cli import scores_app, worker_app

    def open_store() -> Any:
        return open_services(_settings())  # the stream too: the jobs announce signals

    def home() -> Path:
        return _settings().home_dir

    return (scores_app if name == "scores" else worker_app)(open_store, home)


def add_model_groups(argv: list[str]) -> None:
    wanted = argv[0] if argv else None
    for name, help_text in MODEL_GROUPS.items():
        group = model_group(name) if name == wanted else typer.Typer(help=help_text)
        app.add_typer(group, name=name)


def main() -> None:  # pragma: no cover
    add_model_groups(sys.argv[1:])
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
