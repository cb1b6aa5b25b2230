"""deploy/: what can be validated without a container engine (none runs on these machines).

* deploy/docker-compose.yml with Debian's ``docker-compose config`` (the file's schema,
  interpolation, required secrets), then its content: every service, health checks,
  resource limits, secrets only from the environment, the migration job first;
* deploy/haproxy/haproxy.cfg with ``haproxy -c``;
* the Kubernetes manifests against the Kubernetes 1.31 JSON schemas vendored in
  deploy/kubernetes/schemas (strict: unknown fields fail), then the same content rules.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
SECRETS = {"POSTGRES_PASSWORD": "pg-secret-for-tests-0123", "COACH_RASA_TOKEN": "rasa-token-for-tests-0123",
           "COACH_CONSOLE_SECRET_KEY": "console-key-for-tests-0123", "COACH_RABBITMQ_PASSWORD": "mq-for-tests-0123"}
SERVICES = {"postgres", "redis", "rabbitmq", "migrate", "rasa", "actions", "console", "proxy"}
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET", "DATABASE_URL", "SENDER_KEY")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:  # make test installs it (make system-deps)
        pytest.fail(f"{name} is not installed: run `make system-deps`")
    return path


def _compose(env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run([_tool("docker-compose"), "-f", str(DEPLOY / "docker-compose.yml"), "config", *args],
                          env={**clean, **env}, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def compose() -> dict:
    result = _compose(SECRETS)
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_compose_file_is_valid_and_refuses_to_start_without_its_secrets():
    for missing in SECRETS:
        env = {k: v for k, v in SECRETS.items() if k != missing}
        result = _compose(env, "-q")
        assert result.returncode != 0 and missing in result.stderr, (missing, result.stderr)


def test_compose_runs_the_whole_production_profile(compose):
    services = compose["services"]
    assert SERVICES <= set(services)
    assert services["rasa"]["deploy"]["replicas"] >= 2 and services["actions"]["deploy"]["replicas"] >= 2
    for name, service in services.items():
        if name != "migrate":
            assert "healthcheck" in service, name
            assert service["deploy"]["resources"]["limits"]["memory"], name
    # Servers start only after the migration job succeeded.
    for name in ("rasa", "actions", "console", "proxy"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "coach deploy migrate" in " ".join(services["migrate"]["command"])
    # The proxy runs the same HAProxy configuration the production tests use.
    assert any("haproxy/haproxy.cfg" in str(v) for v in services["proxy"]["volumes"])


def test_compose_secrets_come_from_the_environment_only():
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for name, service in data["services"].items():
        env = service.get("environment") or {}
        for key, value in (env.items() if isinstance(env, dict) else []):
            if any(word in key for word in SECRET_WORDS) and value:
                assert "${" in str(value), f"{name}.{key} holds a literal secret"
    for value in SECRETS.values():
        assert value not in text


def test_haproxy_configuration_is_valid():
    env = dict(os.environ, HAPROXY_SOCKET="/tmp/coach-haproxy-check.sock",
               HAPROXY_ERRORS=str(DEPLOY / "haproxy" / "errors"), PROXY_BIND="127.0.0.1:1",
               ACTIONS_BIND="127.0.0.1:2", CONSOLE_BIND="127.0.0.1:3", RASA_SERVICE="rasa:5005",
               ACTIONS_SERVICE="actions:5055", CONSOLE_SERVICE="console:8080", PROXY_MAX_REQ_PER_10S="600")
    result = subprocess.run([_tool("haproxy"), "-c", "-f", str(DEPLOY / "haproxy" / "haproxy.cfg")],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    for code in (502, 503, 504):
        head, body = (DEPLOY / "haproxy" / "errors" / f"{code}.http").read_bytes().split(b"\r\n\r\n", 1)
        assert head.startswith(f"HTTP/1.1 {code}".encode())
        assert f"Content-Length: {len(body)}".encode() in head
        assert "再发一次" in json.loads(body)[0]["text"]


# -- Kubernetes ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schemas() -> dict:
    return json.loads((K8S / "schemas" / "kubernetes-1.31-strict.json").read_text(encoding="utf-8"))


def _validator(schemas: dict, api_version: str, kind: str):
    from jsonschema import Draft202012Validator

    key = f"{api_version}/{kind}"
    assert key in schemas["kinds"], f"no vendored schema for {key}"
    schema = dict(schemas["kinds"][key], **{"$defs": schemas["$defs"]})
    return Draft202012Validator(schema)


def _manifests() -> list:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                docs.append((path.name, doc))
    return docs


def _errors(schemas: dict, doc: dict) -> list:
    validator = _validator(schemas, doc["apiVersion"], doc["kind"])
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def test_kubernetes_manifests_match_the_schemas(schemas):
    docs = _manifests()
    kinds = {(d["kind"]) for _, d in docs}
    assert {"Deployment", "StatefulSet", "Service", "Job", "ConfigMap", "Ingress"} <= kinds
    for name, doc in docs:
        assert _errors(schemas, doc) == [], (name, doc["kind"], doc["metadata"]["name"])


def test_the_schema_check_catches_mistakes(schemas):
    deployment = next(d for _, d in _manifests() if d["kind"] == "Deployment")
    broken = copy.deepcopy(deployment)
    broken["spec"]["replicas"] = "two"
    assert _errors(schemas, broken)
    misspelt = copy.deepcopy(deployment)
    misspelt["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    assert _errors(schemas, misspelt)


def _pod_specs():
    for name, doc in _manifests():
        if doc["kind"] in ("Deployment", "StatefulSet"):
            yield name, doc, doc["spec"]["template"]["spec"]
        elif doc["kind"] == "Job":
            yield name, doc, doc["spec"]["template"]["spec"]


def test_kubernetes_workloads_have_limits_probes_and_no_literal_secrets():
    for name, doc, pod in _pod_specs():
        for container in pod.get("initContainers", []) + pod["containers"]:
            resources = container.get("resources") or {}
            assert resources.get("limits", {}).get("memory") and resources.get("requests"), (name, container["name"])
            for env in container.get("env") or []:
                if any(word in env["name"] for word in SECRET_WORDS):
                    assert "valueFrom" in env, f"{name}: {env['name']} must come from a Secret"
        if doc["kind"] != "Job":
            main = pod["containers"][0]
            assert main.get("readinessProbe") and main.get("livenessProbe"), name
    kinds = {d["kind"]: d for _, d in _manifests()}
    assert "Secret" not in kinds, "secrets are created from the environment, not kept in the repository"
    config = kinds["ConfigMap"]["data"]
    assert not [key for key in config if any(word in key for word in SECRET_WORDS)]


def test_kubernetes_rasa_runs_replicas_after_the_checks():
    docs = {(d["kind"], d["metadata"]["name"]): d for _, d in _manifests()}
    rasa = docs[("Deployment", "rasa")]
    assert rasa["spec"]["replicas"] >= 2
    assert docs[("Deployment", "actions")]["spec"]["replicas"] >= 2
    init = rasa["spec"]["template"]["spec"]["initContainers"][0]["command"]
    assert init[:3] == ["coach", "deploy", "check"]
    assert "coach deploy migrate" in " ".join(docs[("Job", "coach-migrate")]["spec"]["template"]["spec"]
                                               ["containers"][0]["command"])
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    assert sorted(kustomization["resources"]) == sorted(p.name for p in K8S.glob("*.yaml")
                                                        if p.name != "kustomization.yaml")
