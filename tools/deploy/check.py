#!/usr/bin/env python3
"""Checks the deployment files against the Swift sources and the shipped configuration.

    python3 tools/deploy/check.py

Parses systemd/, deploy/ (Dockerfile, docker-compose.yml, kubernetes/*.yaml) and compares them with what the code
defines: topic defaults, environment overrides, HTTP routes and port, command-line flags, the shutdown grace
period, the steering configuration. Every fact taken from the code is parsed from the Swift files, so renaming a
topic, a flag, a route or an override there breaks this check until the deployment follows.

Prints one line per check and last `N passed, M failed`; exits 1 when anything failed.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from pathlib import Path
from typing import Any, Callable

import yaml

sys.dont_write_bytecode = True  # importing make_configmap.py must not leave __pycache__ in the tree

ROOT = Path(__file__).resolve().parents[2]
SWIFT_SETTINGS = ROOT / "Sources/ReferralRouter/Configuration/RouterSettings.swift"
SWIFT_RUN = ROOT / "Sources/referral-router/RunCommand.swift"
SWIFT_STATUS = ROOT / "Sources/ReferralRouter/HTTP/StatusEndpoints.swift"
SWIFT_SOURCES = ROOT / "Sources"
ROUTER_YAML = ROOT / "config/router.yaml"
STEERING = ROOT / "config/steering"
UNIT = ROOT / "systemd/referral-router.service"
ENV_EXAMPLE = ROOT / "systemd/referral-router.env.example"
DOCKERFILE = ROOT / "deploy/Dockerfile"
COMPOSE = ROOT / "deploy/docker-compose.yml"
K8S = ROOT / "deploy/kubernetes"
CONFIGMAP = K8S / "configmap.yaml"
DEPLOYMENT = K8S / "deployment.yaml"
PDB = K8S / "pdb.yaml"
MAKE_CONFIGMAP = ROOT / "tools/deploy/make_configmap.py"

ENV_NAME = re.compile(r"\bREFERRAL_ROUTER_[A-Z0-9_]*[A-Z0-9]\b")
TOPIC_LIKE = re.compile(r"\b(?:referrals|referral-router)\.[a-z][a-z0-9_-]*")


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, group: str, name: str, function: Callable[[], Any]) -> None:
        """Runs one check: it passes when the function returns without raising (or returns a note)."""
        try:
            note = function()
        except AssertionError as error:
            self.failed += 1
            print(f"FAIL [{group}] {name}: {error}")
        except Exception as error:  # a file that cannot be read or parsed fails its checks, not the run
            self.failed += 1
            print(f"FAIL [{group}] {name}: {type(error).__name__}: {error}")
        else:
            self.passed += 1
            print(f"PASS [{group}] {name}" + (f" ({note})" if note else ""))


# --------------------------------------------------------------------------------------------------------------
# Facts from the Swift sources
# --------------------------------------------------------------------------------------------------------------


def swift_struct_body(source: str, name: str) -> str:
    """The text of `struct <name> … { … }` (brace-matched)."""
    match = re.search(rf"\bstruct\s+{re.escape(name)}\b[^{{]*\{{", source)
    assert match, f"struct {name} not found in {SWIFT_SETTINGS.name}"
    depth, index = 1, match.end()
    while depth and index < len(source):
        depth += {"{": 1, "}": -1}.get(source[index], 0)
        index += 1
    return source[match.end() : index - 1]


def swift_topic_defaults() -> dict[str, str]:
    body = swift_struct_body(SWIFT_SETTINGS.read_text(), "Topics")
    topics = dict(re.findall(r'public\s+var\s+(\w+)\s*(?::\s*String)?\s*=\s*"([^"]+)"', body))
    assert topics, "no topic defaults in struct Topics"
    return topics


def swift_int_default(struct: str, field: str) -> int:
    body = swift_struct_body(SWIFT_SETTINGS.read_text(), struct)
    match = re.search(rf"public\s+var\s+{field}\s*(?::\s*Int)?\s*=\s*([0-9_]+)", body)
    assert match, f"no default for {struct}.{field}"
    return int(match.group(1).replace("_", ""))


def swift_environment_variables() -> set[str]:
    """REFERRAL_ROUTER_<SECTION>_<KEY> from `value("section", "key")`, plus literal environment["…"] reads."""
    settings = SWIFT_SETTINGS.read_text()
    names = {f"REFERRAL_ROUTER_{section}_{key}".upper() for section, key in re.findall(r'\bvalue\(\s*"(\w+)"\s*,\s*"(\w+)"\s*\)', settings)}
    assert names, 'no value("section", "key") calls in RouterSettings.swift'
    for path in SWIFT_SOURCES.rglob("*.swift"):
        names |= set(re.findall(r'environment\s*\[\s*"(REFERRAL_ROUTER_[A-Z0-9_]+)"\s*\]', path.read_text()))
    return names


def swift_routes() -> set[str]:
    routes = set(re.findall(r'router\.get\(\s*"(/[^"]*)"', SWIFT_STATUS.read_text()))
    assert routes, "no router.get(\"…\") routes in StatusEndpoints.swift"
    return routes


def swift_run_command() -> tuple[str, set[str]]:
    source = SWIFT_RUN.read_text()
    body = source[source.index("struct RunCommand") :]
    body = body[: body.index("\nenum ") if "\nenum " in body else len(body)]
    name = re.search(r'commandName:\s*"([^"]+)"', body)
    assert name, "no commandName in RunCommand"
    flags = set()
    # @Option(name: .long, …) var someName → --some-name (ArgumentParser's kebab-case); .customLong("x") → --x.
    for match in re.finditer(r"@(?:Option|Flag)\(((?:[^()]|\([^()]*\))*)\)\s*var\s+(\w+)", body):
        attributes, variable = match.group(1), match.group(2)
        custom = re.search(r'\.customLong\("([^"]+)"\)', attributes)
        if custom:
            flags.add("--" + custom.group(1))
        elif ".long" in attributes or "name:" not in attributes:
            flags.add("--" + re.sub(r"(?<!^)([A-Z])", r"-\1", variable).lower())
    assert flags, "no options in RunCommand"
    return name.group(1), flags


# --------------------------------------------------------------------------------------------------------------
# Deployment files
# --------------------------------------------------------------------------------------------------------------


def load_yaml_documents(path: Path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def k8s_documents() -> list[tuple[Path, dict]]:
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name in ("kustomization.yaml", "secret.example.yaml"):
            continue
        documents += [(path, document) for document in load_yaml_documents(path)]
    return documents


def k8s_kind(kind: str, name: str | None = None) -> list[dict]:
    return [d for _, d in k8s_documents() if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]


def the_deployment() -> dict:
    deployments = k8s_kind("Deployment")
    assert len(deployments) == 1, f"expected one Deployment, found {len(deployments)}"
    return deployments[0]


def router_container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    for container in containers:
        if container["name"] == "referral-router":
            return container
    raise AssertionError("no container named referral-router in the Deployment")


def k8s_settings() -> dict:
    """router.yaml of the settings ConfigMap the Deployment mounts at its --config directory."""
    maps = [d for d in k8s_kind("ConfigMap") if "router.yaml" in (d.get("data") or {})]
    assert len(maps) == 1, f"expected one ConfigMap with router.yaml, found {len(maps)}"
    return yaml.safe_load(maps[0]["data"]["router.yaml"]) or {}


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def compose_environment(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in environment)
    return {str(k): str(v) for k, v in environment.items()}


def compose_router(data: dict) -> dict:
    routers = [s for s in data["services"].values() if "Dockerfile" in str((s.get("build") or {}).get("dockerfile", ""))]
    assert len(routers) == 1, "expected one service built from deploy/Dockerfile"
    return routers[0]


def script_lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\\\n", " ").splitlines()]


def topic_creations(script: str) -> list[dict]:
    """Every `kafka-topics.sh … --create …` (directly or through a variable) in a shell script."""
    creations = []
    for line in script_lines(script):
        if "--create" not in line.split():
            continue
        tokens = shlex.split(line)
        creation: dict[str, Any] = {"configs": {}}
        for index, token in enumerate(tokens[:-1]):
            value = tokens[index + 1]
            if token == "--topic":
                creation["topic"] = value
            elif token == "--partitions":
                creation["partitions"] = int(value)
            elif token == "--config":
                key, _, setting = value.partition("=")
                creation["configs"][key] = setting
        assert "topic" in creation and "partitions" in creation, f"--create without --topic/--partitions: {line}"
        creations.append(creation)
    return creations


def compose_topic_script(data: dict) -> str:
    scripts = []
    for service in data["services"].values():
        text = yaml.safe_dump({"e": service.get("entrypoint"), "c": service.get("command")})
        if "kafka-topics.sh" in text and "--create" in text:
            command = service.get("command")
            scripts.append("\n".join(command) if isinstance(command, list) else str(command))
    assert len(scripts) == 1, f"expected one topic-creation service in docker-compose.yml, found {len(scripts)}"
    return scripts[0]


def k8s_topic_script() -> str:
    scripts = []
    for job in k8s_kind("Job"):
        for container in job["spec"]["template"]["spec"]["containers"]:
            text = "\n".join(container.get("command", []) + container.get("args", []))
            if "kafka-topics.sh" in text and "--create" in text:
                scripts.append(text)
    assert len(scripts) == 1, f"expected one topic-creation Job container in deploy/kubernetes, found {len(scripts)}"
    return scripts[0]


def dockerfile_instructions() -> list[tuple[str, str]]:
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.rstrip()
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if pending and line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, rest = pending.strip().partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return instructions


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, rest))
    assert len(stages) >= 2, "the Dockerfile must be multi-stage"
    return stages


def systemd_unit() -> dict[str, list[str]]:
    """[Service]/[Unit]/[Install] assignments (repeated keys kept in order); commented lines are ignored."""
    assignments: dict[str, list[str]] = {}
    section = ""
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        assignments.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return assignments


def seconds(value: Any) -> float:
    text = str(value).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min)?", text)
    assert match, f"cannot read a duration from {text!r}"
    number = float(match.group(1))
    return number * {None: 1, "s": 1, "sec": 1, "ms": 0.001, "m": 60, "min": 60}[match.group(2)]


def flag_pairs(arguments: list[str], known: set[str]) -> dict[str, str]:
    """--flag value pairs of a command line; fails on a flag the CLI does not define."""
    pairs = {}
    index = 0
    while index < len(arguments):
        token = arguments[index]
        if token.startswith("--"):
            assert token in known, f"{token} is not an option of `run` ({', '.join(sorted(known))})"
            assert index + 1 < len(arguments), f"{token} has no value"
            pairs[token] = arguments[index + 1]
            index += 2
        else:
            index += 1
    return pairs


def check_run_command_line(arguments: list[str], where: str) -> str:
    command, flags = swift_run_command()
    assert arguments and arguments[0].endswith("/referral-router"), f"{where}: does not start referral-router"
    assert len(arguments) > 1 and arguments[1] == command, f"{where}: subcommand is not `{command}`"
    pairs = flag_pairs(arguments[2:], flags)
    assert "--config" in pairs and "--steering" in pairs, f"{where}: needs --config and --steering"
    return " ".join(f"{k} {v}" for k, v in pairs.items())


def grace_period(settings: dict | None) -> int:
    value = ((settings or {}).get("shutdown") or {}).get("gracePeriodSeconds")
    return int(value) if value is not None else swift_int_default("Shutdown", "gracePeriodSeconds")


def load_make_configmap():
    spec = importlib.util.spec_from_file_location("make_configmap", MAKE_CONFIGMAP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------------------------
# (a) topics
# --------------------------------------------------------------------------------------------------------------


def check_topic_creations(creations: list[dict], settings: dict | None) -> str:
    defaults = swift_topic_defaults()
    names = [c["topic"] for c in creations]
    assert len(names) == len(set(names)), f"a topic is created twice: {names}"
    assert set(names) == set(defaults.values()), (
        f"created {sorted(names)}, the code's defaults are {sorted(defaults.values())}")
    counts = {c["topic"]: c["partitions"] for c in creations}
    assert len(set(counts.values())) == 1, f"partition counts differ: {counts}"
    state = defaults["state"]
    for creation in creations:
        policy = creation["configs"].get("cleanup.policy", "delete")
        if creation["topic"] == state:
            assert policy == "compact", f"{state} is not created with cleanup.policy=compact"
            # Checkpoints every second (100 ms in exactly_once): the active segment must roll and be cleaned soon.
            segment = int(creation["configs"].get("segment.ms", 7 * 24 * 3600 * 1000))
            assert segment <= 24 * 3600 * 1000, f"{state}: segment.ms {segment} leaves days of checkpoints uncompacted"
            dirty = float(creation["configs"].get("min.cleanable.dirty.ratio", 0.5))
            assert dirty <= 0.2, f"{state}: min.cleanable.dirty.ratio {dirty} lets the log grow twice its compacted size"
        else:
            assert "compact" not in policy, f"{creation['topic']} should not be compacted"
    count = next(iter(counts.values()))
    configured = ((settings or {}).get("kafka") or {}).get("topicPartitions", swift_int_default("Kafka", "topicPartitions"))
    assert count == int(configured), f"created with {count} partitions, kafka.topicPartitions is {configured}"
    return f"{len(names)} topics × {count} partitions, {state} compacted"


def check_topic_names_in_text(paths: list[Path]) -> str:
    defaults = set(swift_topic_defaults().values())
    seen = set()
    for path in paths:
        for name in TOPIC_LIKE.findall(path.read_text()):
            if name.endswith((".service", ".env", ".yaml", ".yml", ".io")):  # file and label names, not topics
                continue
            assert name in defaults, f"{path.relative_to(ROOT)} names topic {name!r}, not a default in RouterSettings.swift"
            seen.add(name)
    return f"{len(seen)} distinct topic names"


def check_settings_topics(settings: dict, where: str) -> str:
    defaults = swift_topic_defaults()
    configured = settings.get("topics") or {}
    unknown = set(configured) - set(defaults)
    assert not unknown, f"{where}: unknown topics keys {sorted(unknown)}"
    for key, value in configured.items():
        assert value == defaults[key], f"{where}: topics.{key} is {value!r}, the default is {defaults[key]!r}"
    return f"{len(configured)} of {len(defaults)} set, all defaults"


# --------------------------------------------------------------------------------------------------------------
# (b) environment variables
# --------------------------------------------------------------------------------------------------------------


def used_environment_variables() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}

    def add(name: str, where: str) -> None:
        used.setdefault(name, set()).add(where)

    for name in ENV_NAME.findall(ENV_EXAMPLE.read_text()):
        add(name, ENV_EXAMPLE.name)
    for name in compose_environment(compose_router(compose())):
        add(name, COMPOSE.name)
    for service in compose()["services"].values():
        for name in compose_environment(service):
            if name.startswith("REFERRAL_ROUTER_"):
                add(name, COMPOSE.name)
    for path, document in k8s_documents():
        for container in _pod_containers(document):
            for variable in container.get("env", []):
                if variable["name"].startswith("REFERRAL_ROUTER_"):
                    add(variable["name"], path.name)
    for keyword, rest in dockerfile_instructions():
        if keyword == "ENV":
            for name in re.findall(r"(REFERRAL_ROUTER_[A-Z0-9_]+)\s*=", rest):
                add(name, DOCKERFILE.name)
    for assignment in systemd_unit().get("Service.Environment", []):
        for name in ENV_NAME.findall(assignment):
            add(name, UNIT.name)
    return used


def _pod_containers(document: dict) -> list[dict]:
    spec = document.get("spec") or {}
    pod = ((spec.get("template") or {}).get("spec")) or (spec if document.get("kind") == "Pod" else {})
    return (pod.get("containers") or []) + (pod.get("initContainers") or [])


def check_environment() -> str:
    known = swift_environment_variables()
    used = used_environment_variables()
    unknown = {name: sorted(where) for name, where in used.items() if name not in known}
    assert not unknown, f"not read by the Swift code: {unknown}"
    return f"{len(used)} used, all among the {len(known)} the code reads"


def check_container_http_host() -> str:
    env = {}
    for keyword, rest in dockerfile_stages()[-1]:
        if keyword == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", rest)))
    assert env.get("REFERRAL_ROUTER_HTTP_HOST") == "0.0.0.0", "the runtime image must set REFERRAL_ROUTER_HTTP_HOST=0.0.0.0"
    container_env = {v["name"]: v.get("value") for v in router_container(the_deployment()).get("env", [])}
    host = container_env.get("REFERRAL_ROUTER_HTTP_HOST", (k8s_settings().get("http") or {}).get("host", env["REFERRAL_ROUTER_HTTP_HOST"]))
    assert host == "0.0.0.0", f"the pod listens on {host}: kubelet probes cannot reach it"
    return "image and pod listen on 0.0.0.0"


def check_compose_bootstrap() -> str:
    data = compose()
    environment = compose_environment(compose_router(data))
    bootstrap = environment.get("REFERRAL_ROUTER_KAFKA_BOOTSTRAPSERVERS")
    assert bootstrap, "the router service sets no REFERRAL_ROUTER_KAFKA_BOOTSTRAPSERVERS"
    host = bootstrap.split(",")[0].rsplit(":", 1)[0]
    assert host in data["services"], f"bootstrap host {host!r} is not a compose service"
    depends = compose_router(data).get("depends_on") or {}
    topics_service = [n for n, s in data["services"].items() if "kafka-topics.sh" in str(s.get("command"))]
    for name in [host] + topics_service:
        assert name in depends, f"the router does not depend on {name}"
    assert (depends[topics_service[0]] or {}).get("condition") == "service_completed_successfully", \
        "the router must wait for the topics job to complete"
    return bootstrap


# --------------------------------------------------------------------------------------------------------------
# (c) probes and ports
# --------------------------------------------------------------------------------------------------------------


def resolve_port(container: dict, port: Any) -> int:
    if isinstance(port, int):
        return port
    for declared in container.get("ports", []):
        if declared.get("name") == port:
            return int(declared["containerPort"])
    raise AssertionError(f"named port {port!r} is not declared by the container")


def check_k8s_probes() -> str:
    routes = swift_routes()
    http_port = swift_int_default("HTTP", "port")
    container = router_container(the_deployment())
    expected = {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}
    for probe, path in expected.items():
        assert probe in container, f"no {probe}"
        get = container[probe]["httpGet"]
        assert get["path"] in routes, f"{probe} path {get['path']} is not a route ({sorted(routes)})"
        assert get["path"] == path, f"{probe} should probe {path}, not {get['path']}"
        port = resolve_port(container, get["port"])
        assert port == http_port, f"{probe} port {port} differs from the http port {http_port}"
    return f"/healthz, /readyz on {http_port}"


def check_k8s_ports() -> str:
    http_port = swift_int_default("HTTP", "port")
    deployment = the_deployment()
    container = router_container(deployment)
    env = {v["name"]: v.get("value") for v in container.get("env", [])}
    if "REFERRAL_ROUTER_HTTP_PORT" in env:
        assert int(env["REFERRAL_ROUTER_HTTP_PORT"]) == http_port, "REFERRAL_ROUTER_HTTP_PORT differs from the default"
    settings_port = (k8s_settings().get("http") or {}).get("port", http_port)
    assert int(settings_port) == http_port, f"settings ConfigMap http.port {settings_port} differs from {http_port}"
    assert "--port" not in (container.get("args") or []), "--port would override the probed port"
    declared = [p["containerPort"] for p in container.get("ports", [])]
    assert declared == [http_port], f"containerPort {declared} differs from {http_port}"
    annotations = deployment["spec"]["template"]["metadata"].get("annotations") or {}
    if "prometheus.io/port" in annotations:
        assert int(annotations["prometheus.io/port"]) == http_port, "prometheus.io/port differs"
        assert annotations.get("prometheus.io/path", "/metrics") in swift_routes(), "prometheus.io/path is not a route"
    return f"containerPort {http_port}"


def check_docker_ports() -> str:
    routes = swift_routes()
    http_port = swift_int_default("HTTP", "port")
    final = dockerfile_stages()[-1]
    exposed = [rest.split("/")[0] for keyword, rest in final if keyword == "EXPOSE"]
    assert exposed == [str(http_port)], f"EXPOSE {exposed} differs from {http_port}"
    healthchecks = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1, "the runtime stage needs one HEALTHCHECK"
    paths = re.findall(r"GET (/\S*)", healthchecks[0])
    assert paths == ["/healthz"] and paths[0] in routes, f"HEALTHCHECK requests {paths}, expected /healthz"
    assert re.search(rf"\b{http_port}\b", healthchecks[0]), f"HEALTHCHECK does not use port {http_port}"
    router = compose_router(compose())
    container_ports = {int(str(p).rsplit(":", 1)[-1].split("/")[0]) for p in router.get("ports", [])}
    assert container_ports == {http_port}, f"compose publishes container ports {container_ports}, expected {http_port}"
    return f"EXPOSE/HEALTHCHECK/compose on {http_port}"


# --------------------------------------------------------------------------------------------------------------
# (d) shutdown grace
# --------------------------------------------------------------------------------------------------------------


# A graceful stop's bounded steps (RouterService: half the grace period flushing, then 5 s; on closing, the
# revocation's flush for half the grace period, then 5 s) take up to the grace period plus 10 s.
def stop_budget(grace: int) -> int:
    return grace + 10


def check_grace_k8s() -> str:
    termination = int(the_deployment()["spec"]["template"]["spec"]["terminationGracePeriodSeconds"])
    graces = {"config/router.yaml": grace_period(yaml.safe_load(ROUTER_YAML.read_text())),
              "settings ConfigMap": grace_period(k8s_settings())}
    for where, grace in graces.items():
        assert termination > stop_budget(grace), \
            f"terminationGracePeriodSeconds {termination} <= {where} gracePeriodSeconds {grace} + 10"
    return f"{termination} s > {stop_budget(max(graces.values()))} s"


def check_grace_systemd() -> str:
    values = systemd_unit().get("Service.TimeoutStopSec")
    assert values, "no TimeoutStopSec"
    stop = seconds(values[-1])
    grace = grace_period(yaml.safe_load(ROUTER_YAML.read_text()))
    assert stop > stop_budget(grace), f"TimeoutStopSec {stop} <= gracePeriodSeconds {grace} + 10"
    return f"{stop:g} s > {stop_budget(grace)} s"


def check_grace_compose() -> str:
    router = compose_router(compose())
    assert "stop_grace_period" in router, "no stop_grace_period: Docker's 10 s default would SIGKILL a graceful stop"
    stop = seconds(router["stop_grace_period"])
    grace = grace_period(yaml.safe_load(ROUTER_YAML.read_text()))
    assert stop > stop_budget(grace), f"stop_grace_period {stop} <= gracePeriodSeconds {grace} + 10"
    return f"{stop:g} s > {stop_budget(grace)} s"


# --------------------------------------------------------------------------------------------------------------
# (e) steering ConfigMap
# --------------------------------------------------------------------------------------------------------------


def steering_configmap() -> dict:
    documents = [d for d in load_yaml_documents(CONFIGMAP) if d.get("kind") == "ConfigMap"]
    assert len(documents) == 1, f"expected one ConfigMap in {CONFIGMAP.name}"
    return documents[0]


def steering_volume() -> dict:
    spec = the_deployment()["spec"]["template"]["spec"]
    name = steering_configmap()["metadata"]["name"]
    volumes = [v for v in spec["volumes"] if (v.get("configMap") or {}).get("name") == name]
    assert len(volumes) == 1, f"the Deployment mounts ConfigMap {name} {len(volumes)} times"
    return volumes[0]


def check_configmap_contents() -> str:
    module = load_make_configmap()
    files = module.steering_files(STEERING)
    data = steering_configmap().get("data") or {}
    as_paths = {module.path_for(key): value for key, value in data.items()}
    missing = sorted(set(files) - set(as_paths))
    extra = sorted(set(as_paths) - set(files))
    assert not missing and not extra, f"missing {missing}, extra {extra}"
    differing = [path for path, content in files.items() if as_paths[path].encode("utf-8") != content]
    assert not differing, f"contents differ: {differing} (run tools/deploy/make_configmap.py)"
    return f"{len(files)} files identical"


def check_configmap_volume() -> str:
    module = load_make_configmap()
    data = steering_configmap().get("data") or {}
    items = steering_volume()["configMap"].get("items")
    assert items is not None, "the steering volume needs items (keys hold '__' for '/')"
    mapping = {item["key"]: item["path"] for item in items}
    assert set(mapping) == set(data), f"volume items {sorted(mapping)} != ConfigMap keys {sorted(data)}"
    wrong = {k: v for k, v in mapping.items() if v != module.path_for(k)}
    assert not wrong, f"items map keys to the wrong paths: {wrong}"
    return f"{len(mapping)} items"


def check_configmap_mounts() -> str:
    container = router_container(the_deployment())
    pairs = flag_pairs((container.get("args") or [])[1:], swift_run_command()[1])
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
    steering_name = steering_volume()["name"]
    assert mounts.get(steering_name) == pairs["--steering"], (
        f"steering volume mounted at {mounts.get(steering_name)}, --steering is {pairs['--steering']}")
    spec = the_deployment()["spec"]["template"]["spec"]
    settings_volume = [v["name"] for v in spec["volumes"]
                       if (v.get("configMap") or {}).get("name") in [d["metadata"]["name"] for d in k8s_kind("ConfigMap")
                                                                     if "router.yaml" in (d.get("data") or {})]]
    assert settings_volume, "the settings ConfigMap is not a volume"
    assert mounts.get(settings_volume[0]) + "/router.yaml" == pairs["--config"], "--config is not the settings ConfigMap's router.yaml"
    return f"{pairs['--steering']}, {pairs['--config']}"


def check_configmap_generated() -> str:
    module = load_make_configmap()
    files = module.steering_files(STEERING)
    assert CONFIGMAP.read_text(encoding="utf-8") == module.render_configmap(files), \
        "configmap.yaml is not what make_configmap.py generates (run it)"
    assert DEPLOYMENT.read_text(encoding="utf-8") == module.render_deployment(files, DEPLOYMENT.read_text(encoding="utf-8")), \
        "deployment.yaml's generated blocks are stale (run make_configmap.py)"
    version = module.steering_model_version(files)
    annotations = the_deployment()["spec"]["template"]["metadata"].get("annotations") or {}
    assert annotations.get(module.CHECKSUM_ANNOTATION) == version, "pod template checksum annotation is stale"
    return version


# --------------------------------------------------------------------------------------------------------------
# (f) systemd unit
# --------------------------------------------------------------------------------------------------------------

REQUIRED_UNIT = {
    "DynamicUser": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
    "PrivateDevices": "yes", "NoNewPrivileges": "yes", "CapabilityBoundingSet": "", "AmbientCapabilities": "",
    "RestrictNamespaces": "yes", "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes",
    "RestrictRealtime": "yes", "RestrictSUIDSGID": "yes", "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes", "ProtectControlGroups": "yes", "ProtectClock": "yes",
    "ProtectHostname": "yes", "ProtectProc": "invisible", "ProcSubset": "pid", "SystemCallArchitectures": "native",
    "UMask": "0077", "DevicePolicy": "closed", "RemoveIPC": "yes", "KeyringMode": "private",
    "Restart": "on-failure", "Type": "notify", "EnvironmentFile": "-/etc/referral-router/referral-router.env",
}


def check_unit_hardening() -> str:
    unit = systemd_unit()
    problems = []
    for key, expected in REQUIRED_UNIT.items():
        values = unit.get(f"Service.{key}")
        if values is None:
            problems.append(f"{key} missing")
        elif values[-1] != expected:
            problems.append(f"{key}={values[-1]} (want {expected!r})")
    families = unit.get("Service.RestrictAddressFamilies", [""])[-1].split()
    if sorted(families) != ["AF_INET", "AF_INET6", "AF_UNIX"]:
        problems.append(f"RestrictAddressFamilies={' '.join(families)}")
    filters = unit.get("Service.SystemCallFilter", [])
    if not filters or filters[0].split() != ["@system-service"]:
        problems.append("SystemCallFilter must start with @system-service")
    denied = {group for line in filters if line.startswith("~") for group in line[1:].split()}
    if not {"@privileged", "@resources"} <= denied:
        problems.append(f"SystemCallFilter=~ denies {sorted(denied)}, needs @privileged @resources")
    # libdispatch calls setpriority (@resources) per worker thread: the filter must answer EPERM, not SIGSYS.
    if unit.get("Service.SystemCallErrorNumber", [""])[-1] != "EPERM":
        problems.append("SystemCallErrorNumber=EPERM missing (setpriority from libdispatch would kill the daemon)")
    assert not problems, "; ".join(problems)
    return f"{len(REQUIRED_UNIT) + 3} settings"


def check_unit_notify_ready() -> str:
    text = UNIT.read_text()
    for line in ("Type=notify", "NotifyAccess=main", "WatchdogSec=30"):
        assert re.search(rf"^{re.escape(line)}\s*$", text, re.M), f"{line} missing"
    assert re.search(r"NOTIFY_SOCKET", text), "the note on NOTIFY_SOCKET is missing"
    # The daemon must send what the unit waits for.
    notifier = (ROOT / "Sources/ReferralRouter/App/SystemdNotifier.swift").read_text()
    assert "NOTIFY_SOCKET" in notifier and "WATCHDOG_USEC" in notifier, "the daemon does not speak NOTIFY_SOCKET"
    exposure = systemd_exposure()
    if exposure is not None:
        assert exposure <= 2.0, f"systemd-analyze security exposure {exposure} > 2.0"
        return f"Type=notify with watchdog; exposure {exposure}"
    return "Type=notify with watchdog (systemd-analyze not installed: exposure not measured)"


def systemd_exposure():
    import shutil, subprocess
    if shutil.which("systemd-analyze") is None:
        return None
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", str(UNIT)], capture_output=True, text=True)
    match = re.search(r"Overall exposure level for \S+: ([0-9.]+)", result.stdout + result.stderr)
    return float(match.group(1)) if match else None


def check_unit_exec_start() -> str:
    values = systemd_unit().get("Service.ExecStart")
    assert values and len(values) == 1, "one ExecStart expected"
    arguments = shlex.split(values[0].lstrip("-@:+!"))
    pairs = check_run_command_line(arguments, "ExecStart")
    assert arguments[0] == "/usr/bin/referral-router", "ExecStart binary is not /usr/bin/referral-router"
    return pairs


# --------------------------------------------------------------------------------------------------------------
# (g) Dockerfile
# --------------------------------------------------------------------------------------------------------------


def apt_packages(stage: list[tuple[str, str]]) -> set[str]:
    packages = set()
    for keyword, rest in stage:
        if keyword != "RUN":
            continue
        for command in re.split(r"&&|;", rest):
            tokens = command.split()
            if "apt-get" in tokens and "install" in tokens:
                packages |= {t for t in tokens[tokens.index("install") + 1 :] if not t.startswith("-")}
    return packages


def dockerfile_arg(text: str) -> str:
    """Substitutes the Dockerfile's global ARG defaults into text."""
    args = {k: v for keyword, rest in dockerfile_instructions() if keyword == "ARG" for k, _, v in [rest.partition("=")]}
    return re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), text)


def check_docker_runtime() -> str:
    stages = dockerfile_stages()
    final = stages[-1]
    base = dockerfile_arg(final[0][1].split()[0])
    packages = apt_packages(final)
    for package in ("librdkafka1", "libmimalloc2.0", "ca-certificates", "tzdata"):
        assert package in packages, f"the runtime stage does not install {package}"
    assert "librdkafka-dev" not in packages, "the runtime stage installs librdkafka-dev"
    users = [rest.split(":")[0] for keyword, rest in final if keyword == "USER"]
    assert users, "the runtime stage has no USER"
    assert users[-1] not in ("root", "0"), f"the runtime stage runs as {users[-1]}"
    uid = the_deployment()["spec"]["template"]["spec"]["securityContext"].get("runAsUser")
    if users[-1].isdigit() and uid is not None:
        assert int(users[-1]) == int(uid), f"USER {users[-1]} differs from the pod's runAsUser {uid}"
    return f"{base}, USER {users[-1]}, {' '.join(sorted(packages))}"


def check_docker_build() -> str:
    build = dockerfile_stages()[0]
    image = dockerfile_arg(build[0][1].split()[0])
    assert re.fullmatch(r"swift:6\.\d+(\.\d+)?-bookworm", image), f"build image {image} is not an official swift:6.x-bookworm"
    for package in ("librdkafka-dev", "libmimalloc-dev"):
        assert package in apt_packages(build), f"the build stage does not install {package}"
    runs = " ".join(rest for keyword, rest in build if keyword == "RUN")
    assert re.search(r"swift build -c release --product referral-router\b", runs), "no swift build -c release --product referral-router"
    return image


def check_docker_entrypoint() -> str:
    final = dockerfile_stages()[-1]
    entrypoints = [rest for keyword, rest in final if keyword == "ENTRYPOINT"]
    assert entrypoints, "no ENTRYPOINT"
    arguments = yaml.safe_load(entrypoints[-1])
    assert isinstance(arguments, list), "ENTRYPOINT must be in exec form (signals reach the daemon as PID 1)"
    pairs = check_run_command_line(arguments, "ENTRYPOINT")
    copies = [rest.split()[-1].rstrip("/") for keyword, rest in final if keyword == "COPY" and "--from" not in rest]
    flags = flag_pairs(arguments[2:], swift_run_command()[1])
    assert flags["--config"] in copies, f"{flags['--config']} is not copied into the image"
    assert flags["--steering"] in copies, f"{flags['--steering']} is not copied into the image"
    return pairs


# --------------------------------------------------------------------------------------------------------------
# Kubernetes hygiene
# --------------------------------------------------------------------------------------------------------------


def check_k8s_security() -> str:
    deployment = the_deployment()
    pod = deployment["spec"]["template"]["spec"]
    container = router_container(deployment)
    context = container.get("securityContext") or {}
    pod_context = pod.get("securityContext") or {}
    assert context.get("runAsNonRoot", pod_context.get("runAsNonRoot")) is True, "runAsNonRoot is not true"
    assert context.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem is not true"
    assert context.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false"
    assert (context.get("capabilities") or {}).get("drop") == ["ALL"], "capabilities are not dropped (ALL)"
    limits = (container.get("resources") or {}).get("limits") or {}
    assert "memory" in limits and "cpu" in limits, "resources.limits needs cpu and memory"
    anti = ((pod.get("affinity") or {}).get("podAntiAffinity")) or {}
    assert anti, "no podAntiAffinity"
    secrets = [v for v in container.get("env", []) if "secretKeyRef" in (v.get("valueFrom") or {})]
    assert secrets, "no Kafka credentials from a Secret"
    return "non-root, read-only root, no capabilities, limits, anti-affinity, Secret env"


def check_k8s_pdb() -> str:
    budgets = [d for d in load_yaml_documents(PDB) if d.get("kind") == "PodDisruptionBudget"]
    assert len(budgets) == 1, "pdb.yaml needs one PodDisruptionBudget"
    selector = budgets[0]["spec"]["selector"]["matchLabels"]
    labels = the_deployment()["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in selector.items()), f"PDB selector {selector} does not match the pods"
    replicas = int(the_deployment()["spec"].get("replicas", 1))
    spec = budgets[0]["spec"]
    if "minAvailable" in spec:
        assert int(spec["minAvailable"]) < replicas, "minAvailable >= replicas blocks every eviction"
    return f"maxUnavailable {spec.get('maxUnavailable')}" if "maxUnavailable" in spec else f"minAvailable {spec['minAvailable']}"


def check_k8s_replicas() -> str:
    deployment = the_deployment()
    replicas = int(deployment["spec"].get("replicas", 1))
    surge = int(((deployment["spec"].get("strategy") or {}).get("rollingUpdate") or {}).get("maxSurge", 0))
    partitions = topic_creations(k8s_topic_script())[0]["partitions"]
    assert replicas + surge <= partitions, (
        f"replicas {replicas} + maxSurge {surge} > {partitions} partitions: an instance without partitions is never ready")
    return f"{replicas}+{surge} <= {partitions}"


def main() -> int:
    checks = Checks()
    k8s_paths = sorted(K8S.glob("*.yaml"))
    # (a)
    checks.check("a", "config/router.yaml topics equal RouterSettings.swift defaults",
                 lambda: check_settings_topics(yaml.safe_load(ROUTER_YAML.read_text()) or {}, "config/router.yaml"))
    checks.check("a", "compose topics job: every topic, same partitions, state compacted",
                 lambda: check_topic_creations(topic_creations(compose_topic_script(compose())), yaml.safe_load(ROUTER_YAML.read_text())))
    checks.check("a", "kubernetes topics Job: every topic, same partitions, state compacted",
                 lambda: check_topic_creations(topic_creations(k8s_topic_script()), k8s_settings()))
    checks.check("a", "kubernetes settings ConfigMap topics equal the defaults",
                 lambda: check_settings_topics(k8s_settings(), "settings ConfigMap"))
    checks.check("a", "every topic name in compose/kubernetes/systemd is a default",
                 lambda: check_topic_names_in_text([COMPOSE, UNIT, ENV_EXAMPLE, *k8s_paths]))
    # (b)
    checks.check("b", "REFERRAL_ROUTER_* variables are read by the Swift code", check_environment)
    checks.check("b", "HTTP host 0.0.0.0 inside containers", check_container_http_host)
    checks.check("b", "compose router: bootstrap servers and dependencies", check_compose_bootstrap)
    # (c)
    checks.check("c", "kubernetes probes: paths and port", check_k8s_probes)
    checks.check("c", "kubernetes ports and scrape annotations", check_k8s_ports)
    checks.check("c", "Dockerfile EXPOSE/HEALTHCHECK and compose ports", check_docker_ports)
    # (d)
    checks.check("d", "terminationGracePeriodSeconds > shutdown.gracePeriodSeconds + 10 s", check_grace_k8s)
    checks.check("d", "TimeoutStopSec > shutdown.gracePeriodSeconds + 10 s", check_grace_systemd)
    checks.check("d", "compose stop_grace_period > shutdown.gracePeriodSeconds + 10 s", check_grace_compose)
    # (e)
    checks.check("e", "steering ConfigMap holds exactly config/steering", check_configmap_contents)
    checks.check("e", "steering volume items map every key to its path", check_configmap_volume)
    checks.check("e", "ConfigMaps mounted where --config/--steering point", check_configmap_mounts)
    checks.check("e", "generated files up to date, checksum annotation", check_configmap_generated)
    # (f)
    checks.check("f", "systemd unit hardening", check_unit_hardening)
    checks.check("f", "systemd unit Type=notify, watchdog and exposure <= 2.0", check_unit_notify_ready)
    checks.check("f", "systemd ExecStart flags exist in RunCommand.swift", check_unit_exec_start)
    # (g)
    checks.check("g", "Dockerfile runtime: librdkafka1, non-root", check_docker_runtime)
    checks.check("g", "Dockerfile build stage", check_docker_build)
    checks.check("g", "Dockerfile ENTRYPOINT flags and copied config", check_docker_entrypoint)
    # Kubernetes hygiene
    checks.check("k", "Deployment security context, limits, anti-affinity, Secret", check_k8s_security)
    checks.check("k", "PodDisruptionBudget selects the pods", check_k8s_pdb)
    checks.check("k", "replicas + maxSurge <= partitions", check_k8s_replicas)
    print(f"{checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
