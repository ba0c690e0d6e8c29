"""The Kubernetes manifests of generated projects: valid, and deployed the way the project runs.

Each rendered project's kustomize base and production overlay go through `kubectl kustomize`
and `kubernetes-validate --strict` (the Kubernetes schemas, unknown fields refused), as the
project's own CI does; then the parsed documents are held to what the service needs: probes on
its health routes, the image's non-root user, a read-only root filesystem with writable
volumes where it writes, a grace period longer than its shutdown, the migrations Job, and
configuration that names exactly the backends the project has.
"""

import base64
import json
import os
import re
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from containers import DOCKER, base_images, docker, require_engine

from .helpers import (
    free_port,
    log_records,
    rabbitmq_vhost,
    redis_database,
    render,
    request,
    throwaway_database,
    wait_until,
)
from services import require_tool

Doc = dict[str, Any]

# Every database, cache, broker and task library at least once, and frameworks other than
# FastAPI: the manifests do not depend on the framework, which this keeps honest.
COMBINATIONS = [
    {
        "framework": "fastapi",
        "database": "postgresql",
        "cache": "redis",
        "broker": "rabbitmq",
        "tasks": "celery",
        "auth": "jwt",
    },
    {
        "framework": "litestar",
        "database": "mysql",
        "cache": "none",
        "broker": "rabbitmq",
        "tasks": "dramatiq",
    },
    {"framework": "fastapi", "database": "sqlite", "cache": "redis", "broker": "nats", "tasks": "taskiq"},
    {"framework": "aiohttp", "database": "none", "cache": "none", "broker": "kafka", "tasks": "none"},
    {"framework": "fastapi", "database": "sqlite", "cache": "none", "broker": "none", "tasks": "none"},
    {"framework": "fastapi", "database": "none", "cache": "none", "broker": "none", "tasks": "none"},
    {
        "framework": "sanic",
        "database": "none",
        "cache": "none",
        "broker": "none",
        "tasks": "none",
        "auth": "apikey",
    },
]
LAYERS = ["base", "overlays/production"]
PACKAGE = "demo_service"


@dataclass
class Rendered:
    answers: dict[str, str]
    project: Path
    layers: dict[str, list[Doc]]  # kustomize output per layer

    def docs(self, layer: str, kind: str) -> list[Doc]:
        return [doc for doc in self.layers[layer] if doc["kind"] == kind]

    def one(self, layer: str, kind: str, name: str = "demo-service") -> Doc:
        [doc] = [doc for doc in self.docs(layer, kind) if doc["metadata"]["name"] == name]
        return doc

    def config(self, layer: str = "base") -> dict[str, str]:
        [config_map] = self.docs(layer, "ConfigMap")
        data: dict[str, str] = config_map["data"]
        return data

    def secret(self, layer: str = "base") -> dict[str, str]:
        secrets = self.docs(layer, "Secret")
        if not secrets:
            return {}
        [secret] = secrets
        return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def ids(answers: dict[str, str]) -> str:
    return "-".join(answers.values())


def kustomize(directory: Path) -> str:
    kubectl = require_tool("kubectl")
    result = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def validate(manifests: Path) -> subprocess.CompletedProcess[str]:
    validator = require_tool("kubernetes-validate")
    return subprocess.run([validator, "--strict", "--quiet", str(manifests)], capture_output=True, text=True)


@pytest.fixture(scope="module", params=COMBINATIONS, ids=ids)
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    project = render(tmp_path_factory.mktemp("k8s") / "demo-service", **request.param)
    layers = {
        layer: list(yaml.safe_load_all(kustomize(project / "deploy/kubernetes" / layer))) for layer in LAYERS
    }
    return Rendered(request.param, project, layers)


def has_secrets(answers: dict[str, str]) -> bool:
    return (
        answers["database"] in ("postgresql", "mysql")
        or answers["cache"] != "none"
        or answers["broker"] != "none"
        or answers.get("auth") == "apikey"
    )


def pod_specs(rendered: Rendered, layer: str) -> list[Doc]:
    workloads = rendered.docs(layer, "Deployment") + rendered.docs(layer, "Job")
    return [workload["spec"]["template"]["spec"] for workload in workloads]


def containers(pod: Doc) -> list[Doc]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def app_container(rendered: Rendered, layer: str = "base") -> tuple[Doc, Doc]:
    pod = rendered.one(layer, "Deployment")["spec"]["template"]["spec"]
    [container] = [c for c in pod["containers"] if c["name"] == "app"]
    return pod, container


def compose_service(rendered: Rendered, name: str) -> Doc:
    service: Doc = yaml.safe_load((rendered.project / "compose.yaml").read_text())["services"][name]
    return service


@pytest.mark.parametrize("layer", LAYERS)
def test_the_manifests_are_valid_kubernetes(rendered: Rendered, layer: str, tmp_path: Path) -> None:
    manifests = tmp_path / "manifests.yaml"
    manifests.write_text(kustomize(rendered.project / "deploy/kubernetes" / layer))
    result = validate(manifests)
    # A kind without a schema is only a warning to kubernetes-validate: refuse that too.
    assert result.returncode == 0 and "WARN" not in result.stdout, result.stdout + result.stderr
    answers = rendered.answers
    expected = {"ConfigMap", "Deployment", "Service"}
    expected |= {"Secret"} if has_secrets(answers) else set()
    if answers["database"] == "sqlite":
        expected |= {"PersistentVolumeClaim"}
    else:
        expected |= {"PodDisruptionBudget", "HorizontalPodAutoscaler"}
    expected |= {"Job"} if answers["database"] in ("postgresql", "mysql") else set()
    assert {doc["kind"] for doc in rendered.layers[layer]} == expected
    workers = [
        doc for doc in rendered.docs(layer, "Deployment") if doc["metadata"]["name"].endswith("-worker")
    ]
    assert len(workers) == (answers["tasks"] != "none")


def test_an_invalid_manifest_fails_validation(tmp_path: Path) -> None:
    project = render(tmp_path / "demo-service", database="postgresql")
    deployment = project / "deploy/kubernetes/base/deployment.yaml"
    # A misspelt field (strict validation) and a wrong type (any validation).
    for broken in ("readOnlyRootFilesystem: true", "terminationGracePeriodSeconds: 30"):
        original = deployment.read_text()
        wrong = {"readOnlyRootFilesystem: true": "readOnlyRootFileSystem: true"}.get(
            broken, "terminationGracePeriodSeconds: thirty"
        )
        deployment.write_text(original.replace(broken, wrong))
        manifests = tmp_path / "manifests.yaml"
        manifests.write_text(kustomize(project / "deploy/kubernetes/base"))
        result = validate(manifests)
        assert result.returncode != 0 and "ERROR" in result.stdout, (broken, result.stdout)
        deployment.write_text(original)


@pytest.mark.parametrize("layer", LAYERS)
def test_probes_ask_the_health_routes(rendered: Rendered, layer: str) -> None:
    _, app = app_container(rendered, layer)
    assert app["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
    assert app["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    # The project's own tests call these routes: they exist in every framework.
    own_tests = (rendered.project / "tests/test_health.py").read_text()
    assert '"/health/live"' in own_tests and '"/health/ready"' in own_tests
    # The named port is the one the image listens on (Dockerfile: PORT, EXPOSE).
    [port] = app["ports"]
    assert port["name"] == "http"
    assert f"EXPOSE {port['containerPort']}" in (rendered.project / "Dockerfile").read_text()
    service = rendered.one(layer, "Service")
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]
    labels = rendered.one(layer, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


@pytest.mark.parametrize("layer", LAYERS)
def test_every_pod_runs_as_the_image_user_on_a_read_only_root(rendered: Rendered, layer: str) -> None:
    dockerfile = (rendered.project / "Dockerfile").read_text()
    [uid] = re.findall(r"useradd .*--uid (\d+)", dockerfile)
    pods = pod_specs(rendered, layer)
    assert pods
    for pod in pods:
        context = pod["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] == int(uid)
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        for container in containers(pod):
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }, container["name"]
            resources = container["resources"]
            assert {"cpu", "memory"} <= resources["requests"].keys(), container["name"]
            assert "memory" in resources["limits"], container["name"]


@pytest.mark.parametrize("layer", LAYERS)
def test_writable_volumes_where_the_service_writes(rendered: Rendered, layer: str) -> None:
    pod, app = app_container(rendered, layer)
    mounts = {mount["mountPath"]: mount["name"] for mount in app["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[mounts.pop("/tmp")]
    if rendered.answers["database"] == "sqlite":
        # The SQLite file lives on a claimed volume, made writable for the image's user.
        claim = volumes[mounts.pop("/data")]["persistentVolumeClaim"]["claimName"]
        assert rendered.one(layer, "PersistentVolumeClaim", claim)
        assert "fsGroup" in pod["securityContext"]
        assert rendered.config(layer)["DATABASE_URL"] == f"sqlite+aiosqlite:////data/{PACKAGE}.db"
        # One writer: a single pod, the old one gone before the new one starts.
        deployment = rendered.one(layer, "Deployment")["spec"]
        assert deployment["replicas"] == 1 and deployment["strategy"] == {"type": "Recreate"}
    assert not mounts


@pytest.mark.parametrize("layer", LAYERS)
def test_the_grace_period_outlasts_the_shutdown(rendered: Rendered, layer: str) -> None:
    settings = (rendered.project / f"src/{PACKAGE}/settings.py").read_text()
    [default] = re.findall(r"graceful_shutdown_timeout: float = ([\d.]+)", settings)
    timeout = float(rendered.config(layer)["GRACEFUL_SHUTDOWN_TIMEOUT"])
    assert timeout == float(default)
    pod, app = app_container(rendered, layer)
    pause = app["lifecycle"]["preStop"]["sleep"]["seconds"]
    # Requests get the timeout, then the outbox's relays as long again to hand over.
    relays = {rendered.answers.get(key, "none") for key in ("broker", "tasks")} != {"none"}
    assert pod["terminationGracePeriodSeconds"] > pause + timeout * (2 if relays else 1)
    for worker in rendered.docs(layer, "Deployment"):
        assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > timeout


@pytest.mark.parametrize("layer", LAYERS)
def test_worker_runs_the_compose_command_without_probes(rendered: Rendered, layer: str) -> None:
    if rendered.answers["tasks"] == "none":
        assert not (rendered.project / "deploy/kubernetes/base/worker.yaml").exists()
        return
    pod = rendered.one(layer, "Deployment", "demo-service-worker")["spec"]["template"]["spec"]
    [worker] = pod["containers"]
    assert worker["command"] == compose_service(rendered, "worker")["command"]
    assert worker["command"] == ["python", "-m", f"{PACKAGE}.worker"]
    assert not {"livenessProbe", "readinessProbe", "startupProbe", "ports"} & worker.keys()
    _, app = app_container(rendered, layer)
    assert worker["envFrom"] == app["envFrom"] and worker["image"] == app["image"]


@pytest.mark.parametrize("layer", LAYERS)
def test_migrations_run_as_a_job_before_the_app_serves(rendered: Rendered, layer: str) -> None:
    pod, app = app_container(rendered, layer)
    if rendered.answers["database"] not in ("postgresql", "mysql"):
        assert not rendered.docs(layer, "Job") and "initContainers" not in pod
        return
    job = rendered.one(layer, "Job", "demo-service-migrate")["spec"]["template"]["spec"]
    [migrate] = job["containers"]
    assert (
        migrate["command"]
        == ["alembic", "upgrade", "heads"]
        == compose_service(rendered, "migrate")["command"]
    )
    assert migrate["image"] == app["image"]
    assert job["restartPolicy"] == "OnFailure"
    # The app's pods wait until the database is at the image's migration head.
    [wait] = pod["initContainers"]
    assert "alembic current --check-heads" in " ".join(wait["command"])
    assert wait["image"] == app["image"]
    pyproject = (rendered.project / "pyproject.toml").read_text()
    [minimum] = re.findall(r'"alembic>=([\d.]+)"', pyproject)
    assert tuple(map(int, minimum.split("."))) >= (1, 17, 1)  # `--check-heads` came in 1.17.1


@pytest.mark.parametrize("layer", LAYERS)
def test_configuration_names_exactly_the_projects_backends(rendered: Rendered, layer: str) -> None:
    urls = {key for key in compose_service(rendered, "app")["environment"] if key.endswith("_URL")}
    secret, config = rendered.secret(layer), rendered.config(layer)
    # Credentials only in the Secret; the SQLite path is no secret.
    assert {key for key in config if key.endswith("_URL")} == (
        {"DATABASE_URL"} if rendered.answers["database"] == "sqlite" else set()
    )
    assert {key for key in [*secret, *config] if key.endswith("_URL")} == urls
    assert set(secret) - urls <= {"API_KEYS"}  # the only other secret: the keys' digests
    assert {"LOG_LEVEL", "WEB_CONCURRENCY", "GRACEFUL_SHUTDOWN_TIMEOUT"} <= config.keys()
    for pod in pod_specs(rendered, layer):
        for container in containers(pod):
            refs = {ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]}
            generated = {
                doc["metadata"]["name"]
                for doc in rendered.docs(layer, "ConfigMap") + rendered.docs(layer, "Secret")
            }
            assert refs <= generated, container["name"]
    for key, scheme in {
        "DATABASE_URL": "postgresql|mysql",
        "REDIS_URL": "redis",
        "BROKER_URL": "amqp|nats|kafka",
    }.items():
        if key in secret:
            assert re.match(rf"({scheme})[+a-z]*://", secret[key]), secret[key]


@pytest.mark.parametrize("layer", LAYERS)
def test_the_app_gets_the_settings_of_its_authentication(rendered: Rendered, layer: str) -> None:
    expected = {
        "none": set(),
        "jwt": {"AUTH_ISSUER", "AUTH_AUDIENCE"},
        "apikey": {"API_KEYS"},
    }[rendered.answers.get("auth", "none")]
    everything = {"AUTH_ISSUER", "AUTH_AUDIENCE", "AUTH_JWKS_URL", "API_KEYS"}
    config, secret = rendered.config(layer), rendered.secret(layer)
    # The issuer and audience are public, the keys' digests are kept with the credentials.
    assert config.keys() & everything == expected - {"API_KEYS"}
    assert secret.keys() & everything == expected & {"API_KEYS"}
    assert compose_service(rendered, "app")["environment"].keys() & everything == expected


def test_scaling_belongs_to_the_autoscaler(rendered: Rendered) -> None:
    if rendered.answers["database"] == "sqlite":
        return  # one pod (test_writable_volumes_where_the_service_writes)
    for layer in LAYERS:
        deployment = rendered.one(layer, "Deployment")
        assert "replicas" not in deployment["spec"]  # else every apply resets the autoscaler's count
        hpa = rendered.one(layer, "HorizontalPodAutoscaler")["spec"]
        assert hpa["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "demo-service",
        }
        [metric] = hpa["metrics"]
        assert metric["resource"]["name"] == "cpu"
        pdb = rendered.one(layer, "PodDisruptionBudget")["spec"]
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pdb["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
        assert pdb["selector"]["matchLabels"].items() <= labels.items()
        assert hpa["minReplicas"] > pdb["maxUnavailable"]
    base, production = (rendered.one(layer, "HorizontalPodAutoscaler")["spec"] for layer in LAYERS)
    assert production["minReplicas"] > base["minReplicas"]


def test_the_overlay_changes_image_and_resources(rendered: Rendered) -> None:
    (_, base), (_, production) = (app_container(rendered, layer) for layer in LAYERS)
    assert base["image"] == "demo-service:0.1.0"
    assert production["image"] == "registry.example.com/demo-service:0.1.0"
    for layer, image in (("base", base["image"]), ("overlays/production", production["image"])):
        for pod in pod_specs(rendered, layer):
            assert {container["image"] for container in containers(pod)} == {image}
    assert production["resources"] != base["resources"]


def test_the_generated_ci_validates_the_manifests(tmp_path: Path) -> None:
    """Runs the CI job's own script, with uvx, against a project with every kind of manifest."""
    require_tool("kubectl")
    require_tool("uvx")
    project = render(tmp_path / "demo-service", **COMBINATIONS[0])
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())
    steps = workflow["jobs"]["kubernetes"]["steps"]
    [script] = [step["run"] for step in steps if "kubernetes-validate" in step.get("run", "")]
    assert "kubectl kustomize" in script and "--strict" in script
    result = subprocess.run(
        ["bash", "-e", "-c", script],  # GitHub's default shell for `run`
        cwd=project,
        env={**os.environ, "RUNNER_TEMP": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # ConfigMap, Secret, Service, two Deployments, PodDisruptionBudget, autoscaler, Job; twice.
    assert result.stdout.count("passed for resource") == 2 * 8, result.stdout


def test_the_readme_tells_what_the_manifests_do(rendered: Rendered) -> None:
    readme = (rendered.project / "README.md").read_text()
    # Words as a reader sees them, whatever the line breaks.
    section = re.sub(r"\s+", " ", readme[readme.index("### Kubernetes") : readme.index("## Update")])
    assert "kubectl apply -k deploy/kubernetes/overlays/production" in section
    _, app = app_container(rendered, "overlays/production")
    assert f"docker build -t {app['image']} ." in section
    for path in ("/health/live", "/health/ready", "GRACEFUL_SHUTDOWN_TIMEOUT", "/tmp"):
        assert f"`{path}`" in section, path
    pod = rendered.one("base", "Deployment")["spec"]["template"]["spec"]
    assert f"grace period ({pod['terminationGracePeriodSeconds']} s)" in section
    assert f"{app['lifecycle']['preStop']['sleep']['seconds']} s `preStop` pause" in section
    for key in rendered.config():
        assert f"`{key}`" in section, key
    for key in rendered.secret():
        assert f"`{key}`" in section, key
    assert ("kubectl delete job/demo-service-migrate" in section) == bool(rendered.docs("base", "Job"))
    assert ("demo-service-worker" in section) == (rendered.answers["tasks"] != "none")
    hpas = [
        rendered.one(layer, "HorizontalPodAutoscaler")["spec"]
        for layer in LAYERS
        if rendered.docs(layer, "HorizontalPodAutoscaler")
    ]
    if hpas:
        base, production = hpas
        assert (
            f"keeps {base['minReplicas']} to {base['maxReplicas']} "
            f"({production['minReplicas']} to {production['maxReplicas']} in the overlay)"
        ) in section


# --- The image under the pods' own settings -------------------------------------------------
#
# No cluster here, so each container of the rendered manifests runs on the Docker engine with
# what its spec says, translated flag by flag: the user, the read-only root, the dropped
# capabilities, no privilege escalation, the emptyDir volumes (as tmpfs), the resource
# limits, the command, the ConfigMap's values and the Secret's keys (pointed at this
# machine's services). What Docker cannot play (probes, preStop, the Job controller) the test
# does in their place: it asks the probe paths and stops with the grace period.


def memory(quantity: str) -> str:
    number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return f"{number}{unit[0].lower()}"


def cpus(quantity: str) -> str:
    return str(int(quantity[:-1]) / 1000) if quantity.endswith("m") else quantity


def docker_run_flags(pod: Doc, container: Doc, env: dict[str, str]) -> list[str]:
    context, pod_context = container["securityContext"], pod["securityContext"]
    assert pod_context["runAsNonRoot"] is True
    flags = ["--network", "host", "--user", str(pod_context["runAsUser"])]
    if context["readOnlyRootFilesystem"]:
        flags.append("--read-only")
    flags += [arg for capability in context["capabilities"]["drop"] for arg in ("--cap-drop", capability)]
    if context["allowPrivilegeEscalation"] is False:
        flags += ["--security-opt", "no-new-privileges"]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        empty_dir = volumes[mount["name"]]["emptyDir"]  # the only kind this project's pods use
        flags += ["--tmpfs", f"{mount['mountPath']}:size={memory(empty_dir['sizeLimit'])}"]
    limits = container["resources"]["limits"]
    flags += ["--memory", memory(limits["memory"])]
    if "cpu" in limits:
        flags += ["--cpus", cpus(limits["cpu"])]
    for key, value in env.items():
        flags += ["-e", f"{key}={value}"]
    return flags


@pytest.mark.slow
def test_the_image_runs_as_the_pods_say(tmp_path: Path) -> None:
    """Migrations Job, the app waiting for it, app and Celery worker: each under its pod spec."""
    require_engine()
    base_images()
    # PostgreSQL, Redis, RabbitMQ, Celery: every kind of pod. Without authentication, which
    # test_the_app_gets_the_settings_of_its_authentication and the project's own suite cover.
    answers = {**COMBINATIONS[0], "auth": "none"}
    assert answers["database"] == "postgresql" and answers["tasks"] == "celery"
    project = render(tmp_path / "demo-service", **answers)
    docs = list(yaml.safe_load_all(kustomize(project / "deploy/kubernetes/base")))
    rendered = Rendered(answers, project, {"base": docs})
    token = uuid.uuid4().hex[:10]
    image = f"asyncgen-k8s-{token}"
    names: list[str] = []

    def start(name: str, pod: Doc, container: Doc, env: dict[str, str]) -> str:
        names.append(f"{image}-{name}")
        command = container.get("command", [])
        docker("run", "-d", "--name", names[-1], *docker_run_flags(pod, container, env), image, *command)
        return names[-1]

    def logs(name: str) -> str:
        output = docker("logs", name)
        return output.stdout + output.stderr

    docker("build", "-q", "-t", image, str(project), timeout=900)
    in_image = [DOCKER, "run", "--rm", "--network", "host", image, "python"]
    try:
        with (
            throwaway_database(project, "postgresql", in_image) as database_url,
            redis_database() as redis_url,
            rabbitmq_vhost() as broker_url,
        ):
            live = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "BROKER_URL": broker_url}
            assert rendered.secret().keys() == live.keys()
            port = free_port()
            env = {**rendered.config(), **live, "PORT": str(port)}

            app_pod, app = app_container(rendered)
            [wait] = app_pod["initContainers"]
            waiting = start("wait", app_pod, wait, env)
            time.sleep(3)
            assert docker("inspect", "-f", "{{.State.Running}}", waiting).stdout.strip() == "true", logs(
                waiting
            )

            job = rendered.one("base", "Job", "demo-service-migrate")["spec"]["template"]["spec"]
            migrate = start("migrate", job, job["containers"][0], env)
            assert docker("wait", migrate, timeout=120).stdout.strip() == "0", logs(migrate)
            # The init container lets the app start once the schema is there.
            assert docker("wait", waiting, timeout=30).stdout.strip() == "0", logs(waiting)

            served = start("app", app_pod, app, env)
            worker_pod = rendered.one("base", "Deployment", "demo-service-worker")["spec"]["template"]["spec"]
            worker = start("worker", worker_pod, worker_pod["containers"][0], env)
            base = f"http://127.0.0.1:{port}"
            ready = app["readinessProbe"]["httpGet"]["path"]
            wait_until(lambda: request(base + ready)[0] == 200, f"{ready} to answer 200: {logs(served)}", 60)
            assert request(base + app["livenessProbe"]["httpGet"]["path"])[0] == 200
            status, body = request(f"{base}/api/items", "POST", {"name": "pod", "price": 1})
            assert status == 201, body
            item = json.loads(body)["id"]
            wait_until(
                lambda: any(
                    r.get("event") == "item.processed" and r.get("item_id") == item
                    for r in log_records(logs(worker))
                ),
                f"the worker's item.processed line: {logs(worker)}",
                60,
            )

            for name, pod in ((served, app_pod), (worker, worker_pod)):
                grace = pod["terminationGracePeriodSeconds"]
                docker("stop", "-t", str(grace), name, timeout=grace + 30)
                assert docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip() == "0", logs(name)
            for name in (served, worker):
                assert "Traceback" not in logs(name), logs(name)
    finally:
        if names:
            docker("rm", "-f", *names, check=False)
        docker("rmi", "-f", image, check=False)
