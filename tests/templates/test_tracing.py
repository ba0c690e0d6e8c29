"""Tracing across a real broker: an event published while a request is served is handled in
that request's trace, through the generated broker classes and the generated propagation.

RabbitMQ: aio-pika's instrumentation (what tracing.instrumented() installs) carries the trace
in the message headers. NATS: nats.py's own spans do, as nats-py has no instrumentation.
"""

import json
import uuid
from pathlib import Path

import pytest

from .helpers import nats_streams, rabbitmq_vhost, render, run

SCRIPT = """
import asyncio
import json
import sys

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from demo_service import propagation, tracing  # noqa: F401
from demo_service.broker import create_broker
from demo_service.events import Event
from demo_service.settings import Settings

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("test")


async def main() -> None:
    settings = Settings(
        broker_namespace=sys.argv[1],
        broker_instance="tracing",
        otel_exporter_otlp_endpoint="http://127.0.0.1:4318",  # on; the provider above is kept
    )
    handled = asyncio.Event()
    carried: dict[str, str] = {}

    async def handler(event: Event) -> None:
        # What the outbox work does with the headers it records: handle in their context.
        with propagation.incoming(carried), tracer.start_as_current_span("handle"):
            handled.set()

    broker = create_broker(settings)
    await broker.subscribe(handler)
    await broker.start()
    with tracer.start_as_current_span("POST /api/items", kind=trace.SpanKind.SERVER):
        carried.update(propagation.outgoing())
        await broker.publish(Event("item.created", {"id": 1}))
    await asyncio.wait_for(handled.wait(), 15)
    await broker.close()
    spans = [
        {
            "name": span.name,
            "kind": span.kind.name,
            "trace": span.context.trace_id,
            "id": span.context.span_id,
            "parent": span.parent.span_id if span.parent else None,
        }
        for span in exporter.get_finished_spans()
    ]
    print(json.dumps({"carried": carried, "spans": spans}))


{run}
"""
# RabbitMQ's spans come from aio-pika's instrumentation, installed as the app does it.
RUN = {
    "rabbitmq": "with tracing.instrumented():\n    asyncio.run(main())",
    "nats": "asyncio.run(main())",
}


def ancestors(span: dict, spans: list[dict]) -> list[str]:
    by_id = {s["id"]: s for s in spans}
    names = []
    while span["parent"] is not None:
        span = by_id[span["parent"]]
        names.append(span["name"])
    return names


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["rabbitmq", "nats"])
def test_an_event_is_handled_in_the_request_trace(tmp_path: Path, broker: str) -> None:
    project = render(
        tmp_path / "demo-service", broker=broker, database="none", cache="none", tasks="none"
    )
    run(["uv", "sync", "-q"], project)
    (project / "trace_event.py").write_text(SCRIPT.replace("{run}", RUN[broker]))
    namespace = f"asyncgen_{uuid.uuid4().hex[:12]}"
    if broker == "rabbitmq":
        with rabbitmq_vhost() as url:
            output = run(
                ["uv", "run", "--no-sync", "python", "trace_event.py", namespace],
                project,
                {"BROKER_URL": url},
            )
    else:
        with nats_streams(project, namespace):
            output = run(
                ["uv", "run", "--no-sync", "python", "trace_event.py", namespace],
                project,
                {"BROKER_URL": "nats://127.0.0.1:4222"},
            )
    result = json.loads(output.splitlines()[-1])
    spans = result["spans"]
    (request,) = [span for span in spans if span["kind"] == "SERVER"]
    (handle,) = [span for span in spans if span["name"] == "handle"]
    assert result["carried"]["traceparent"].split("-")[1] == f"{request['trace']:032x}"
    # One trace: the request, the publish, the consumer's delivery and the handling in it.
    assert {span["trace"] for span in spans} == {request["trace"]}, spans
    kinds = {span["kind"] for span in spans}
    assert {"SERVER", "PRODUCER", "CONSUMER"} <= kinds, spans
    # The handler runs inside the consumer's span, a descendant of the publish's.
    chain = ancestors(handle, spans)
    assert chain[-1] == "POST /api/items", chain
    by_name = {span["name"]: span["kind"] for span in spans}
    assert [by_name[name] for name in chain] == ["CONSUMER", "PRODUCER", "SERVER"], chain


JOB_SCRIPT = """
import asyncio
import json
import os
import sys

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from taskiq.receiver import Receiver

from demo_service import tracing
from demo_service.outbox import Entry
from demo_service.tasks.taskiq import TaskiqTaskQueue, create_broker, register_jobs

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)


async def main() -> None:
    url, queue = os.environ["BROKER_URL"], sys.argv[1]
    worker = create_broker(url, queue, traced=True)
    worker.is_worker_process = True
    register_jobs(worker)
    await worker.startup()
    stop = asyncio.Event()
    listening = asyncio.create_task(Receiver(worker, run_startup=False).listen(stop))
    jobs = TaskiqTaskQueue(url, queue, traced=True)
    with trace.get_tracer("test").start_as_current_span(
        "POST /api/items", kind=trace.SpanKind.SERVER
    ):
        # Recorded in the request, as the outbox records a create's job, then handed over.
        await jobs.send(Entry("job", "process_item", {"item_id": 1}))
    await jobs.close()
    async with asyncio.timeout(15):
        while not any(span.kind.name == "CONSUMER" for span in exporter.get_finished_spans()):
            await asyncio.sleep(0.05)
    stop.set()
    await listening
    await worker.shutdown()
    spans = [
        {
            "name": span.name,
            "kind": span.kind.name,
            "trace": span.context.trace_id,
            "id": span.context.span_id,
            "parent": span.parent.span_id if span.parent else None,
        }
        for span in exporter.get_finished_spans()
    ]
    print(json.dumps({"spans": spans}))


with tracing.instrumented():
    asyncio.run(main())
"""


@pytest.mark.slow
def test_a_job_runs_in_the_request_trace(tmp_path: Path) -> None:
    """taskiq's own middleware: the job sent while a request is served runs in its trace, on a
    real RabbitMQ (the send goes from the request's context; the outbox work, which moves
    sends to its relay, must publish them in the context `outgoing()` recorded)."""
    project = render(
        tmp_path / "demo-service", broker="rabbitmq", database="none", cache="none", tasks="taskiq"
    )
    run(["uv", "sync", "-q"], project)
    (project / "trace_job.py").write_text(JOB_SCRIPT)
    with rabbitmq_vhost() as url:
        output = run(
            ["uv", "run", "--no-sync", "python", "trace_job.py", f"asyncgen_{uuid.uuid4().hex[:12]}"],
            project,
            {"BROKER_URL": url},
        )
    spans = json.loads(output.splitlines()[-1])["spans"]
    (request,) = [span for span in spans if span["kind"] == "SERVER"]
    assert {span["trace"] for span in spans} == {request["trace"]}, spans
    (run_span,) = [span for span in spans if span["name"] == "execute/process_item"]
    chain = ancestors(run_span, spans)
    assert chain[0] == "send/process_item", chain
    assert chain[-1] == "POST /api/items", chain
