"""Prometheus `/metrics` for the CDC workers (`c360 capture`, `c360 apply`).

Each worker process serves its own registry on a port of its own (`C360_METRICS_PORT`;
0 keeps it off), as Prometheus scrapes a fleet of workers. Counters are read from the
worker's own counters when scraped (a collector, so the hot path pays nothing and two
workers in one process never share a series); only the latency histogram is fed as
events are applied (`Apply.observe_latency`), since buckets cannot be rebuilt later.

    c360_cdc_apply_events_total{outcome}        applied | deleted | stale | dead_lettered
    c360_cdc_apply_batches_total
    c360_cdc_apply_latency_seconds              histogram: SoR commit -> in the graph
    c360_cdc_apply_last_batch_age_seconds       since the latest batch was applied
    c360_cdc_apply_parked_activities            activities waiting for their customer
    c360_cdc_apply_resolution_pending           records waiting for a trained model
    c360_cdc_apply_resolved_records_total, c360_cdc_apply_resolution_errors_total
    c360_cdc_consumer_lag{topic}                messages the apply group has not committed
    c360_cdc_capture_events_published_total, c360_cdc_capture_batches_total
    c360_cdc_capture_last_batch_age_seconds     since Debezium last handed over a batch
    c360_cdc_capture_up                         1 while the engine runs, 0 once it failed
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from workers.cdc.apply import Apply
from workers.cdc.capture import Capture, CaptureError

log = logging.getLogger(__name__)

# commit -> applied: tens of ms when keeping up, minutes when catching up after an outage
LATENCY_BUCKETS_S: tuple[float, ...] = (
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
)  # fmt: skip


def _age(at: float | None) -> float | None:
    return None if at is None else max(time.time() - at, 0.0)


class ApplyCollector(Collector):
    """The apply worker's counters and its consumer group's lag, read at scrape time."""

    def __init__(self, apply: Apply) -> None:
        self.apply = apply

    def collect(self) -> Iterator[Metric]:
        s = self.apply.stats
        events = CounterMetricFamily(
            "c360_cdc_apply_events", "Change events by what applying them did", labels=["outcome"]
        )
        events.add_metric(["applied"], s.applied)
        events.add_metric(["deleted"], s.deleted)
        events.add_metric(["stale"], s.stale)
        events.add_metric(["dead_lettered"], s.dead_lettered)
        yield events
        yield CounterMetricFamily("c360_cdc_apply_batches", "Batches applied", value=s.batches)
        yield CounterMetricFamily(
            "c360_cdc_apply_resolved_records", "Records resolved incrementally", value=s.resolved
        )
        yield CounterMetricFamily(
            "c360_cdc_apply_resolution_errors",
            "Incremental resolutions that failed (left for a full run)",
            value=s.resolution_errors,
        )
        try:
            self.apply.count_parked()
        except Exception as exc:  # a graph hiccup costs this sample, never the scrape
            log.warning("parked activities not counted: %s", exc)
        yield GaugeMetricFamily(
            "c360_cdc_apply_parked_activities",
            "Interactions and transactions waiting for their customer's record",
            value=s.parked,
        )
        yield GaugeMetricFamily(
            "c360_cdc_apply_resolution_pending",
            "Records applied but not resolved yet (no trained model)",
            value=s.resolution_pending,
        )
        age = _age(s.last_batch_at)
        if age is not None:
            yield GaugeMetricFamily(
                "c360_cdc_apply_last_batch_age_seconds",
                "Seconds since the latest batch was applied",
                value=age,
            )
        lag = GaugeMetricFamily(
            "c360_cdc_consumer_lag",
            "Messages on the capture topics the apply group has not committed",
            labels=["topic"],
        )
        try:
            for topic, count in sorted(self.apply.consumer_lag().items()):
                lag.add_metric([topic], count)
        except Exception as exc:  # a broker hiccup costs this sample, never the scrape
            log.warning("consumer lag unavailable: %s", exc)
        yield lag


class CaptureCollector(Collector):
    """The capture worker's counters, read at scrape time."""

    def __init__(self, capture: Capture) -> None:
        self.capture = capture

    def collect(self) -> Iterator[Metric]:
        c = self.capture
        yield CounterMetricFamily(
            "c360_cdc_capture_events_published",
            "Change events published to the bus",
            value=c.events_published,
        )
        yield CounterMetricFamily(
            "c360_cdc_capture_batches", "Debezium batches published", value=c.batches_published
        )
        age = _age(c.last_batch_at)
        if age is not None:
            yield GaugeMetricFamily(
                "c360_cdc_capture_last_batch_age_seconds",
                "Seconds since Debezium last handed over a batch",
                value=age,
            )
        try:
            c.check()
            up = 1 if c.running else 0
        except CaptureError:
            up = 0
        yield GaugeMetricFamily(
            "c360_cdc_capture_up", "1 while the Debezium engine runs, 0 once it has failed",
            value=up,
        )  # fmt: skip


def apply_registry(apply: Apply) -> CollectorRegistry:
    """A registry with the apply worker's metrics; hooks its latency histogram in."""
    registry = CollectorRegistry()
    latency = Histogram(
        "c360_cdc_apply_latency_seconds",
        "System-of-record commit -> applied to the graph",
        buckets=LATENCY_BUCKETS_S,
        registry=registry,
    )
    apply.observe_latency = latency.observe
    registry.register(ApplyCollector(apply))
    return registry


def capture_registry(capture: Capture) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(CaptureCollector(capture))
    return registry


@dataclass
class MetricsServer:
    """A running `/metrics` endpoint (prometheus_client's threaded HTTP server)."""

    host: str
    port: int
    registry: CollectorRegistry
    _server: WSGIServer
    _thread: threading.Thread

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def serve(registry: CollectorRegistry, port: int, host: str = "0.0.0.0") -> MetricsServer | None:
    """Serve `registry` on http://host:port/metrics; port 0 (or less): serve nothing."""
    if port <= 0:
        return None
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise OSError(f"cannot serve metrics on {host}:{port} (C360_METRICS_PORT): {exc}") from exc
    log.info("metrics on http://%s:%d/metrics", host, port)
    return MetricsServer(host, port, registry, server, thread)


def serve_apply_metrics(apply: Apply, port: int, host: str = "0.0.0.0") -> MetricsServer | None:
    """What `c360 apply` calls with `settings.metrics_port` before it runs the worker."""
    if port <= 0:
        return None
    return serve(apply_registry(apply), port, host)


def serve_capture_metrics(
    capture: Capture, port: int, host: str = "0.0.0.0"
) -> MetricsServer | None:
    """What `c360 capture` calls with `settings.metrics_port` before it starts the engine."""
    if port <= 0:
        return None
    return serve(capture_registry(capture), port, host)
