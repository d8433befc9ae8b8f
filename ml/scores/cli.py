"""The score models' command line: `train`, `score` and `schedule`, as typer sub-apps.

The composition root (`c360/cli.py`) wires them, giving how to open the services (the
graph store and the event stream's Redis; a bare store raises alerts without publishing
events) and where the c360 home is (the registry lives under it):

    app.add_typer(scores_app(lambda: open_services(_settings()), lambda: _settings().home_dir),
                  name="scores")          # c360 scores train | score | schedule
    app.add_typer(worker_app(...same two...), name="worker")   # c360 worker schedule

`schedule` runs APScheduler in the foreground: rescoring every few hours (retraining first
when features drifted past the threshold, or when there is no model yet), retraining on
a slower interval, and the quiet check (`workers.signals.QuietCheck`: influential
customers with no activity for a while) once a day. One job runs at a time (a single worker thread), a run that was missed
while another ran is done once, not several times (coalesce), and a failing run is logged
and tried again at its next time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.schedulers.base import BaseScheduler  # type: ignore[import-untyped]
from apscheduler.schedulers.blocking import BlockingScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from c360.wiring import Services
from graph.store import GraphStore
from ml.scores.job import ScoresConfig, ScoresJob
from ml.scores.models import InsufficientLabels
from ml.scores.registry import ModelRegistry, NoModel
from workers.signals import QuietCheck, QuietConfig, Signals, stream_publisher

log = logging.getLogger(__name__)

OpenStore = Callable[[], AbstractContextManager[GraphStore | Services]]
Home = Callable[[], Path]

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The data's today (YYYY-MM-DD); default the day after the "
        "latest activity in the graph.",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print the report as one JSON line.")]
Horizon = Annotated[int, typer.Option("--horizon-days", min=30, max=3_650)]
QuietDays = Annotated[
    int, typer.Option(min=1, max=3_650, help="Days without activity that count as quiet.")
]
TopPercent = Annotated[
    float,
    typer.Option(min=0.01, max=100.0, help="Influential: the top this percent by influence."),
]


def schedule_jobs(
    scheduler: BaseScheduler,
    job: ScoresJob,
    *,
    score_every: timedelta,
    train_every: timedelta,
    start_now: bool = True,
    quiet: QuietCheck | None = None,
    quiet_every: timedelta = timedelta(days=1),
) -> None:
    """Add the rescoring, retraining and quiet-check jobs to `scheduler` (not started here)."""
    now = datetime.now() if start_now else None
    scheduler.add_job(
        job.rescore_or_retrain, IntervalTrigger(seconds=score_every.total_seconds()),
        id="scores.rescore", name="rescore (retrain on drift)", next_run_time=now,
        max_instances=1, coalesce=True, replace_existing=True,
    )  # fmt: skip
    scheduler.add_job(
        _retrain_and_score, IntervalTrigger(seconds=train_every.total_seconds()), args=[job],
        id="scores.retrain", name="retrain and rescore", max_instances=1, coalesce=True,
        replace_existing=True,
    )  # fmt: skip
    if quiet is not None:
        scheduler.add_job(
            quiet.run, IntervalTrigger(seconds=quiet_every.total_seconds()),
            id="alerts.quiet", name="influential customers gone quiet", next_run_time=now,
            max_instances=1, coalesce=True, replace_existing=True,
        )  # fmt: skip


def _retrain_and_score(job: ScoresJob) -> None:
    job.train()
    job.score()


def scores_app(open_store: OpenStore, home: Home) -> typer.Typer:
    app = typer.Typer(help="Churn risk, lead score and lifetime value.", no_args_is_help=True)

    @app.command()
    def train(as_of: AsOf = None, horizon_days: Horizon = 365, as_json: Json = False) -> None:
        """Train the three score models on the graph and store them as a new version."""
        with open_store() as opened:
            job = _job(opened, home, horizon_days)
            try:
                report = job.train(_date(as_of))
            except InsufficientLabels as refusal:
                raise _fail(f"not trained: {refusal}") from None
        _print(report.summary(), as_json)

    @app.command()
    def score(
        version: Annotated[
            str | None, typer.Option(help="Registry version; default the latest.")
        ] = None,
        as_of: AsOf = None,
        as_json: Json = False,
    ) -> None:
        """Score every active customer with a stored model and write the scores back."""
        with open_store() as opened:
            try:
                report = _job(opened, home, 365).score(version, _date(as_of))
            except NoModel as missing:
                raise _fail(str(missing)) from None
        _print(report.summary(), as_json)

    app.command()(_schedule_command(open_store, home))
    return app


def worker_app(open_store: OpenStore, home: Home) -> typer.Typer:
    app = typer.Typer(help="Long-running workers.", no_args_is_help=True)

    @app.callback()
    def workers() -> None:
        """Long-running workers (a group even with one command: `worker schedule`)."""

    app.command("schedule")(_schedule_command(open_store, home))
    return app


def _schedule_command(open_store: OpenStore, home: Home) -> Callable[..., None]:
    def schedule(
        score_every_hours: Annotated[float, typer.Option(min=0.01)] = 6.0,
        train_every_days: Annotated[float, typer.Option(min=0.01)] = 7.0,
        horizon_days: Horizon = 365,
        now: Annotated[
            bool, typer.Option("--now/--later", help="Score and check once right away.")
        ] = True,
        quiet_every_hours: Annotated[float, typer.Option(min=0.01)] = 24.0,
        quiet_days: QuietDays = QuietConfig.days,
        quiet_top_percent: TopPercent = QuietConfig.top_percent,
    ) -> None:
        """Rescore on a schedule (retraining on drift), retrain on a slower one and check
        for influential customers gone quiet, until stopped."""
        with open_store() as opened:
            job = _job(opened, home, horizon_days)
            quiet = QuietCheck(job.store, job.signals, QuietConfig(quiet_top_percent, quiet_days))
            scheduler = BlockingScheduler(executors={"default": ThreadPoolExecutor(1)})
            schedule_jobs(
                scheduler, job, start_now=now, score_every=timedelta(hours=score_every_hours),
                train_every=timedelta(days=train_every_days), quiet=quiet,
                quiet_every=timedelta(hours=quiet_every_hours),
            )  # fmt: skip
            typer.echo(f"scheduled: rescore every {score_every_hours} h, retrain every "
                       f"{train_every_days} d, quiet check every {quiet_every_hours} h "
                       "(Ctrl-C stops)")  # fmt: skip
            try:
                scheduler.start()
            except (KeyboardInterrupt, SystemExit):
                scheduler.shutdown(wait=False)

    return schedule


def opened_signals(opened: GraphStore | Services) -> tuple[GraphStore, Signals]:
    """The store, and signals that publish onto the event stream when the services have
    one (the composition root opens services; a bare store raises alerts only)."""
    if isinstance(opened, Services):
        return opened.store, Signals(opened.store, stream_publisher(opened.redis_url))
    return opened, Signals(opened)


def _job(opened: GraphStore | Services, home: Home, horizon_days: int) -> ScoresJob:
    store, signals = opened_signals(opened)
    return ScoresJob(store, ModelRegistry.under_home(home()),
                     ScoresConfig(horizon_days=horizon_days), signals)  # fmt: skip


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"--as-of: {text!r} is not a date (YYYY-MM-DD)") from None


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _print(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(summary, default=str))
        return
    for key, value in summary.items():
        typer.echo(
            f"{key}: {json.dumps(value, default=str) if isinstance(value, dict | list) else value}"
        )
