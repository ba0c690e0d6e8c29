"""A stand-in OpenTelemetry collector: what generated services export over OTLP/HTTP, as spans.

It runs in a generated project's interpreter, whose exporter brings the OTLP protobuf
classes (the suite's own has none), and writes each span it receives as one JSON line.
Hand-written, a few lines of http.server: a real collector is a container image, and the
tests reach no image registry.
"""

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

from .helpers import free_port, wait_until

SCRIPT = """
import json, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

spans = open(sys.argv[2], "a", buffering=1)


class Collector(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
            attributes = {a.key: a.value.string_value for a in resource.resource.attributes}
            for scope in resource.scope_spans:
                for span in scope.spans:
                    spans.write(json.dumps({
                        "service": attributes.get("service.name"),
                        "name": span.name,
                        "kind": Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
                        "trace": span.trace_id.hex(),
                        "id": span.span_id.hex(),
                        "parent": span.parent_span_id.hex() or None,
                    }) + "\\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Collector).serve_forever()
"""


class SpanCollector:
    """The collector, for the block; `url` is the OTEL_EXPORTER_OTLP_ENDPOINT to give services."""

    def __init__(self, project: Path, spans: Path) -> None:
        self.project = project
        self.file = spans
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "SpanCollector":
        self.file.touch()
        self.process = subprocess.Popen(
            [str(self.project / ".venv" / "bin" / "python"), "-c", SCRIPT, str(self.port), str(self.file)],
            cwd=self.project,
        )
        wait_until(self._listening, "the stand-in collector to listen", 15)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.kill()
        self.process.wait()

    def _listening(self) -> bool:
        assert self.process.poll() is None, "the stand-in collector exited"
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def spans(self) -> list[dict[str, Any]]:
        # Whole lines only: the collector may be halfway through writing the last one (a line
        # longer than its buffer leaves in more than one write).
        text = self.file.read_text()
        return [json.loads(line) for line in text[: text.rfind("\n") + 1].splitlines()]
