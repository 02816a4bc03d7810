#!/usr/bin/env python3
"""Checks the message contracts of referral-router (contracts/) and validates records against them.

What it checks, each check counted once in the summary:

1. Schemas (contracts/schemas/*.json): every expected file exists, declares JSON Schema draft 2020-12, is a
   valid 2020-12 schema, has `$id` = urn:referral-router:schema:<file name without .json>, and every `$ref`
   in it resolves. The code lists (`$defs/concern`, `unitType`, `errorCode`, ...) and a few limits equal the
   Swift sources they come from (Codes.swift, ValidationProblem.swift, SLAEvent.swift, Decision.swift,
   ReferralStatus.swift, RequestValidator.swift), so a renamed or added code breaks the check.
2. AsyncAPI (contracts/asyncapi.yaml): AsyncAPI 3.0.0 shape (info, channels with address and messages,
   operations with a send/receive action, a channel and messages of that channel), every `$ref` resolves
   (inside the document, or to an existing file and JSON pointer), every channel address equals the default
   topic name in RouterSettings.swift (parsed from the Swift file) and the channel set equals the settings'
   topic set, inputs are received and outputs sent, `ce_dataschema` of each message equals its payload
   schema's `$id`, and requests/status are marked co-partitioned. With --asyncapi-schema FILE it also
   validates the document against the official AsyncAPI 3.0.0 JSON Schema (asyncapi/spec-json-schemas,
   schemas/3.0.0.json), which is not vendored here.
3. Records: every file under contracts/examples (a JSON document, or NDJSON) and every file given on the
   command line (a JSON document, else one JSON value per line) is validated against the schema that
   --schema names for it, else against the schema of its detected kind (request, status update,
   assignment, consultation, SLA event, rejection, state). The `route` command's validation-error objects
   ({"id":..., "error":{...}}) are not Kafka records: they are skipped and counted on a separate line.
4. Negative cases (tools/contracts/negative/<schema>--<case>.json) must be rejected by their schema.
5. With --router BINARY (an already built referral-router; this script never builds), every request
   example is routed with `BINARY route FILE` and each printed assignment validated against
   assignment.v1; every negative request case must be rejected by the router too.

Usage:
    python3 tools/contracts/validate.py [-v] [--schema [FILE=]NAME ...] [--router PATH]
                                        [--asyncapi-schema FILE] [NDJSON_FILE ...]

The last line printed is always `N passed, M failed`; the exit status is 1 when M > 0.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import unquote

try:
    import yaml
    from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
    from jsonschema.exceptions import SchemaError
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012
except ImportError as error:  # pragma: no cover
    print(f"needs the jsonschema (>= 4.18) and PyYAML packages: {error}", file=sys.stderr)
    print("0 passed, 1 failed")
    sys.exit(2)

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
SCHEMAS = CONTRACTS / "schemas"
EXAMPLES = CONTRACTS / "examples"
ASYNCAPI = CONTRACTS / "asyncapi.yaml"
NEGATIVE = Path(__file__).resolve().parent / "negative"
SOURCES = ROOT / "Sources"
SETTINGS_SWIFT = SOURCES / "ReferralRouter/Configuration/RouterSettings.swift"

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
ID_PREFIX = "urn:referral-router:schema:"
EXPECTED_SCHEMAS = [
    "request.v1",
    "status-update.v1",
    "assignment.v1",
    "consultation.v1",
    "sla-event.v1",
    "rejection.v1",
    "state.v1",
]
INPUT_CHANNELS = {"requests", "status"}

# $defs name -> (Swift file under Sources/, enum name) whose raw values it must list, in order.
SWIFT_ENUMS = {
    "concern": ("SteeringModel/Request/Codes.swift", "Concern"),
    "urgency": ("SteeringModel/Request/Codes.swift", "Urgency"),
    "severity": ("SteeringModel/Request/Codes.swift", "Severity"),
    "requestType": ("SteeringModel/Request/Codes.swift", "RequestType"),
    "serviceLevel": ("SteeringModel/Request/Codes.swift", "ServiceLevel"),
    "unitType": ("SteeringModel/Request/Codes.swift", "UnitType"),
    "caseStatus": ("SteeringModel/Request/Codes.swift", "CaseStatus"),
    "errorCode": ("SteeringModel/Request/ValidationProblem.swift", "Code"),
    "slaEventKind": ("Deadlines/Timers/SLAEvent.swift", "Kind"),
    "traceKind": ("SteeringModel/Engine/Decision.swift", "TraceKind"),
}


class Results:
    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.passed = 0
        self.failed = 0
        self.skipped: list[str] = []

    def check(self, ok: bool, label: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"ok    {label}")
        else:
            self.failed += 1
            print(f"FAIL  {label}" + (f": {detail}" if detail else ""))
        return ok

    def ok(self, label: str) -> None:
        self.check(True, label)

    def fail(self, label: str, detail: str) -> None:
        self.check(False, label, detail)


def rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Yields (JSON pointer, node) for every node."""
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{pointer}/{index}")


def resolve_pointer(document: Any, pointer: str) -> Any:
    """Resolves a JSON pointer (with or without the leading '#'); raises KeyError when it does not resolve."""
    pointer = unquote(pointer.lstrip("#"))
    if pointer == "":
        return document
    if not pointer.startswith("/"):
        raise KeyError(f"not a JSON pointer: {pointer}")
    node = document
    for token in pointer[1:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(f"no member '{token}'")
    return node


def describe(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "(root)"
    return f"at {where}: {error.message[:300]}"


# --------------------------------------------------------------------------------------------- Swift parsing


def swift_enum(file: Path, name: str) -> list[str] | None:
    """The raw values of `enum <name>: String ...` in `file`, in declaration order."""
    text = file.read_text(encoding="utf-8")
    match = re.search(rf"\benum\s+{re.escape(name)}\s*:\s*String\b[^{{]*\{{", text)
    if not match:
        return None
    depth, index = 1, match.end()
    while depth and index < len(text):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        index += 1
    body = text[match.end() : index - 1]
    values: list[str] = []
    # Only the enum's own cases: lines at the body's top level starting with `case <identifier>`.
    depth = 0
    for line in body.splitlines():
        stripped = line.strip()
        if depth == 0 and stripped.startswith("case ") and not stripped.startswith("case ."):
            for item in stripped[5:].split(","):
                item = item.split("//")[0].strip()
                case = re.fullmatch(r"`?([A-Za-z_]\w*)`?(?:\s*=\s*\"([^\"]*)\")?", item)
                if case:
                    values.append(case.group(2) if case.group(2) is not None else case.group(1))
        depth += line.count("{") - line.count("}")
    return values


def swift_topic_defaults(file: Path) -> dict[str, str]:
    """`public var <name> = "<topic>"` inside `struct Topics` of RouterSettings.swift."""
    text = file.read_text(encoding="utf-8")
    match = re.search(r"struct\s+Topics\b[^{]*\{(.*?)\n\s*public init\(\)", text, re.S)
    if not match:
        return {}
    return dict(re.findall(r"public\s+var\s+(\w+)(?:\s*:\s*String)?\s*=\s*\"([^\"]+)\"", match.group(1)))


# --------------------------------------------------------------------------------------------- 1. schemas


def load_schemas(results: Results) -> dict[str, dict]:
    schemas: dict[str, dict] = {}
    for name in EXPECTED_SCHEMAS:
        results.check((SCHEMAS / f"{name}.json").is_file(), f"schema {name}.json exists")
    for path in sorted(SCHEMAS.glob("*.json")):
        name = path.stem
        label = f"schema {rel(path)}"
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            results.fail(label, f"not JSON: {error}")
            continue
        problems = []
        if not isinstance(schema, dict):
            problems.append("not an object")
        else:
            if schema.get("$schema") != DRAFT_2020_12:
                problems.append(f"$schema is {schema.get('$schema')!r}, not {DRAFT_2020_12}")
            if schema.get("$id") != ID_PREFIX + name:
                problems.append(f"$id is {schema.get('$id')!r}, not {ID_PREFIX + name!r}")
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as error:
                problems.append(f"not a valid draft 2020-12 schema: {error.message}")
            for pointer, node in walk(schema):
                if isinstance(node, dict) and isinstance(node.get("$ref"), str):
                    target = node["$ref"]
                    if not target.startswith("#"):
                        problems.append(f"{pointer}: $ref {target} leaves the file (schemas are self-contained)")
                        continue
                    try:
                        resolve_pointer(schema, target)
                    except KeyError as error:
                        problems.append(f"{pointer}: $ref {target} does not resolve ({error})")
        if results.check(not problems, label + " is a valid, self-contained draft 2020-12 schema", "; ".join(problems)):
            schemas[name] = schema
    return schemas


def enum_difference(schema: list, swift: list) -> str:
    missing = [value for value in swift if value not in schema]
    extra = [value for value in schema if value not in swift]
    if missing or extra:
        return f"missing in the schema: {missing}; not in Swift: {extra}"
    return f"same codes, different order: Swift order is {swift}"


def check_against_swift(results: Results, schemas: dict[str, dict]) -> None:
    swift: dict[str, list[str] | None] = {}
    for definition, (file, enum) in SWIFT_ENUMS.items():
        path = SOURCES / file
        values = swift_enum(path, enum) if path.is_file() else None
        if results.check(bool(values), f"Swift enum {enum} found in {file}", "not found or empty; update SWIFT_ENUMS"):
            swift[definition] = values
    if "caseStatus" in swift:
        referral_status = swift_enum(SOURCES / "Deadlines/Policy/ReferralStatus.swift", "ReferralStatus")
        results.check(
            referral_status == swift["caseStatus"],
            "Deadlines ReferralStatus equals SteeringModel CaseStatus",
            f"{referral_status} != {swift['caseStatus']}",
        )
    for name, schema in sorted(schemas.items()):
        for definition, values in swift.items():
            node = schema.get("$defs", {}).get(definition)
            if node is None:
                continue
            results.check(
                node.get("enum") == values,
                f"{name} $defs/{definition} lists the codes of Swift {SWIFT_ENUMS[definition][1]}",
                enum_difference(node.get("enum") or [], values),
            )
    state = schemas.get("state.v1")
    if state and swift.get("caseStatus"):
        expected = [value for value in swift["caseStatus"] if value != "reassigned"]
        actual = state["properties"]["status"].get("enum")
        results.check(actual == expected, "state.v1 status lists CaseStatus without reassigned", f"{actual} != {expected}")

    validator = (SOURCES / "SteeringModel/Request/RequestValidator.swift").read_text(encoding="utf-8")
    text_limit = re.search(r"maximumTextLength:\s*Int\s*=\s*(\d+)", validator)
    age = re.search(r"\((\d+)\.\.\.(\d+)\)\.contains\(age\)", validator)
    request = schemas.get("request.v1")
    if request:
        limit = int(text_limit.group(1)) if text_limit else None
        results.check(
            request["$defs"]["freeText"].get("maxLength") == limit,
            "request.v1 free-text maxLength equals RequestValidator.maximumTextLength",
            f"{request['$defs']['freeText'].get('maxLength')} != {limit}",
        )
        age_schema = request["properties"]["client"]["properties"]["ageYears"]["anyOf"][0]
        bounds = (int(age.group(1)), int(age.group(2))) if age else None
        results.check(
            (age_schema.get("minimum"), age_schema.get("maximum")) == bounds,
            "request.v1 ageYears range equals RequestValidator's",
            f"{(age_schema.get('minimum'), age_schema.get('maximum'))} != {bounds}",
        )


# --------------------------------------------------------------------------------------------- 2. AsyncAPI


def check_asyncapi(results: Results, schemas: dict[str, dict], official_schema: Path | None) -> None:
    label = rel(ASYNCAPI)
    try:
        document = yaml.safe_load(ASYNCAPI.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        results.fail(label, f"cannot load: {error}")
        return
    if not results.check(isinstance(document, dict), f"{label} is a YAML mapping"):
        return

    # Shape.
    problems = []
    if document.get("asyncapi") != "3.0.0":
        problems.append(f"asyncapi is {document.get('asyncapi')!r}, not '3.0.0'")
    info = document.get("info")
    if not isinstance(info, dict) or not info.get("title") or not info.get("version"):
        problems.append("info.title and info.version are required")
    channels = document.get("channels")
    operations = document.get("operations")
    if not isinstance(channels, dict) or not channels:
        problems.append("channels missing")
        channels = {}
    if not isinstance(operations, dict) or not operations:
        problems.append("operations missing")
        operations = {}
    for name, channel in channels.items():
        if not isinstance(channel, dict) or not isinstance(channel.get("address"), str):
            problems.append(f"channel {name} has no address")
        elif not isinstance(channel.get("messages"), dict) or not channel["messages"]:
            problems.append(f"channel {name} has no messages")
    for name, operation in operations.items():
        if not isinstance(operation, dict) or operation.get("action") not in ("send", "receive"):
            problems.append(f"operation {name}: action must be send or receive")
            continue
        channel_ref = (operation.get("channel") or {}).get("$ref", "")
        if not channel_ref.startswith("#/channels/"):
            problems.append(f"operation {name}: channel must be a $ref to #/channels/...")
        for message in operation.get("messages") or []:
            if not str(message.get("$ref", "")).startswith(channel_ref + "/messages/"):
                problems.append(f"operation {name}: message {message.get('$ref')} is not a message of {channel_ref}")
    for name, message in (document.get("components", {}).get("messages") or {}).items():
        if "payload" not in message:
            problems.append(f"message {name} has no payload")
    results.check(not problems, f"{label} is AsyncAPI 3.0.0 shaped", "; ".join(problems))

    # Every $ref resolves.
    problems = []
    references = 0
    for pointer, node in walk(document):
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            continue
        references += 1
        target = node["$ref"]
        file_part, _, fragment = target.partition("#")
        try:
            if file_part == "":
                resolve_pointer(document, fragment)
            else:
                path = (ASYNCAPI.parent / file_part).resolve()
                if not path.is_file():
                    raise KeyError(f"file {rel(path)} does not exist")
                text = path.read_text(encoding="utf-8")
                loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
                resolve_pointer(loaded, fragment)
        except (KeyError, ValueError, yaml.YAMLError) as error:
            problems.append(f"{pointer}: $ref {target}: {error}")
    results.check(
        not problems and references > 0, f"{label}: all {references} $refs resolve", "; ".join(problems) or "no $ref"
    )

    # Every schema file is used as a payload, and ce_dataschema matches the payload's $id.
    messages = document.get("components", {}).get("messages") or {}
    used = set()
    for name, message in messages.items():
        schema_ref = ((message.get("payload") or {}).get("schema") or {}).get("$ref")
        if not schema_ref:
            continue
        stem = Path(schema_ref.partition("#")[0]).stem
        used.add(stem)
        headers = message.get("headers") or {}
        dataschema = None
        for part in [headers] + list(headers.get("allOf") or []):
            dataschema = ((part.get("properties") or {}).get("ce_dataschema") or {}).get("const", dataschema)
        if dataschema is not None:
            expected = (schemas.get(stem) or {}).get("$id")
            results.check(
                dataschema == expected,
                f"{label}: message {name} ce_dataschema equals the $id of {stem}.json",
                f"{dataschema!r} != {expected!r}",
            )
    missing = sorted(set(EXPECTED_SCHEMAS) - used)
    results.check(not missing, f"{label}: every schema is the payload of a message", f"unused: {missing}")

    # Topic names equal the defaults in RouterSettings.swift.
    defaults = swift_topic_defaults(SETTINGS_SWIFT)
    if results.check(bool(defaults), f"topic defaults parsed from {rel(SETTINGS_SWIFT)}", "struct Topics not found"):
        results.check(
            set(channels) == set(defaults),
            f"{label}: channels are exactly the RouterSettings topics",
            f"channels {sorted(channels)} vs settings {sorted(defaults)}",
        )
        for name, channel in sorted(channels.items()):
            address = channel.get("address")
            bound = ((channel.get("bindings") or {}).get("kafka") or {}).get("topic", address)
            results.check(
                address == defaults.get(name) and bound == address,
                f"{label}: channel {name} address {address!r} is the default topic",
                f"RouterSettings default is {defaults.get(name)!r}, kafka binding topic {bound!r}",
            )

    # Direction: inputs are received, outputs sent.
    actions: dict[str, set[str]] = {}
    for operation in operations.values():
        channel = str((operation.get("channel") or {}).get("$ref", "")).rpartition("/")[2]
        actions.setdefault(channel, set()).add(operation.get("action"))
    for name in sorted(channels):
        expected = "receive" if name in INPUT_CHANNELS else "send"
        results.check(
            expected in actions.get(name, set()),
            f"{label}: the router has a {expected} operation on {name}",
            f"actions: {sorted(actions.get(name, set()))}",
        )

    # Co-partitioning of requests and status is documented and declared.
    for a, b in (("requests", "status"), ("status", "requests")):
        channel = channels.get(a) or {}
        results.check(
            b in (channel.get("x-co-partitioned-with") or []) and "co-partitioned" in str(channel.get("description", "")),
            f"{label}: channel {a} is declared co-partitioned with {b}",
        )

    if official_schema is not None:
        try:
            meta = json.loads(official_schema.read_text(encoding="utf-8"))
            errors = sorted(Draft7Validator(meta).iter_errors(document), key=lambda e: list(e.absolute_path))
            results.check(
                not errors,
                f"{label} validates against {official_schema.name}",
                "; ".join(describe(e) for e in errors[:5]),
            )
        except (OSError, ValueError) as error:
            results.fail(f"official AsyncAPI schema {official_schema}", str(error))


# --------------------------------------------------------------------------------------------- 3. records


def detect_kind(record: Any) -> str | None:
    """The schema name for a record, by its fields; 'route-error' for the route command's error objects."""
    if not isinstance(record, dict):
        return None
    if "error" in record and set(record) <= {"id", "error"}:
        return "route-error"
    if "decisionId" in record:
        return "assignment.v1"
    if "consultationId" in record:
        return "consultation.v1"
    if "timerId" in record or ("event" in record and "milestone" in record):
        return "sla-event.v1"
    if "rejectedAt" in record or ("problems" in record and "code" in record):
        return "rejection.v1"
    if "requestHash" in record or ("v" in record and "inputOffset" in record):
        return "state.v1"
    if "submittedAt" in record or record.get("type") in ("referral", "consultation"):
        return "request.v1"
    if "referralId" in record and "status" in record:
        return "status-update.v1"
    return None


def read_records(path: Path) -> Iterator[tuple[str, Any]]:
    """(label, value) per record: the whole file when it is one JSON document, else one per non-blank line.
    A line that is not JSON yields a ValueError as its value."""
    text = path.read_text(encoding="utf-8")
    try:
        yield rel(path), json.loads(text)
        return
    except ValueError:
        pass
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield f"{rel(path)}:{number}", json.loads(line)
        except ValueError as error:
            yield f"{rel(path)}:{number}", error


def normalise_schema_name(name: str) -> str:
    name = Path(name).name
    if name.endswith(".json"):
        name = name[:-5]
    return name if name.endswith(".v1") or re.search(r"\.v\d+$", name) else name + ".v1"


class RecordValidator:
    def __init__(self, schemas: dict[str, dict]) -> None:
        registry = Registry().with_resources(
            (schema["$id"], Resource(contents=schema, specification=DRAFT202012)) for schema in schemas.values()
        )
        self.validators = {
            name: Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())
            for name, schema in schemas.items()
        }

    def errors(self, schema: str, record: Any) -> list[str]:
        validator = self.validators.get(schema)
        if validator is None:
            return [f"no schema {schema}"]
        return [describe(error) for error in sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))]

    def validate(self, results: Results, label: str, record: Any, schema: str | None) -> str | None:
        """Validates one record; returns the schema used ('route-error' when skipped)."""
        if isinstance(record, ValueError):
            results.fail(label, f"not JSON: {record}")
            return None
        # The route command's error objects are skipped whatever the schema: they are not Kafka records.
        kind = "route-error" if detect_kind(record) == "route-error" else schema or detect_kind(record)
        if kind == "route-error":
            results.skipped.append(label)
            return kind
        if kind is None:
            results.fail(label, "cannot tell the record kind; name its schema with --schema")
            return None
        errors = self.errors(kind, record)
        results.check(not errors, f"{label} is a valid {kind}", "; ".join(errors[:5]))
        return kind


def check_records(results: Results, records: RecordValidator, files: list[Path], mapping: dict[str, str], default: str | None) -> None:
    example_files = sorted(p for p in EXAMPLES.rglob("*") if p.is_file() and p.suffix in (".json", ".ndjson", ".jsonl"))
    results.check(bool(example_files), f"{rel(EXAMPLES)} holds examples")
    for path in example_files:
        schema = mapping.get(str(path.resolve()))
        for label, record in read_records(path):
            records.validate(results, label, record, schema)
    for path in files:
        if not path.is_file():
            results.fail(rel(path), "no such file")
            continue
        schema = mapping.get(str(path.resolve()), default)
        count = 0
        for label, record in read_records(path):
            count += 1
            records.validate(results, label, record, schema)
        if count == 0:
            results.fail(rel(path), "no records")


def check_negative(results: Results, records: RecordValidator) -> list[Path]:
    cases = sorted(NEGATIVE.glob("*--*.json"))
    for path in cases:
        schema = path.name.split("--", 1)[0]
        record = json.loads(path.read_text(encoding="utf-8"))
        results.check(
            bool(records.errors(schema, record)),
            f"negative case {path.name} is rejected by {schema}",
            "the schema accepts it",
        )
    return cases


# --------------------------------------------------------------------------------------------- 5. router


def check_router(results: Results, records: RecordValidator, binary: Path, negative: list[Path]) -> None:
    if not binary.is_file():
        results.fail(f"router binary {binary}", "not found (this script never builds it)")
        return

    def route(path: Path) -> list[str] | None:
        try:
            run = subprocess.run(
                [str(binary), "route", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            results.fail(f"route {rel(path)}", str(error))
            return None
        if run.returncode != 0:
            results.fail(f"route {rel(path)}", f"exit {run.returncode}: {run.stderr.strip()[:300]}")
            return None
        return [line for line in run.stdout.splitlines() if line.strip()]

    requests = []
    for path in sorted(p for p in EXAMPLES.rglob("*.json") if p.is_file()):
        for _, record in read_records(path):
            if detect_kind(record) == "request.v1":
                requests.append(path)
                break
    for path in requests:
        lines = route(path)
        if lines is None:
            continue
        for number, line in enumerate(lines, 1):
            label = f"route {rel(path)} -> line {number}"
            try:
                record = json.loads(line)
            except ValueError as error:
                results.fail(label, f"not JSON: {error}")
                continue
            if detect_kind(record) == "route-error":
                results.fail(label, f"a valid example was rejected by the router: {record['error'].get('reason', '')[:300]}")
                continue
            records.validate(results, label, record, "assignment.v1")
    for path in negative:
        if not path.name.startswith("request.v1--"):
            continue
        lines = route(path)
        if lines is None:
            continue
        rejected = len(lines) == 1 and detect_kind(json.loads(lines[0])) == "route-error"
        results.check(rejected, f"router rejects negative case {path.name}", "the router accepted it")


# --------------------------------------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="NDJSON (or single JSON) files of records to validate")
    parser.add_argument(
        "--schema",
        action="append",
        default=[],
        metavar="[FILE=]NAME",
        help="the schema for FILE (or, without FILE=, for every command-line file), e.g. assignment or assignment.v1",
    )
    parser.add_argument("--router", type=Path, help="an already built referral-router binary to cross-check")
    parser.add_argument("--asyncapi-schema", type=Path, help="the official AsyncAPI 3.0.0 JSON Schema (3.0.0.json)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing checks too")
    arguments = parser.parse_args(argv)

    results = Results(arguments.verbose)
    mapping: dict[str, str] = {}
    default = None
    for item in arguments.schema:
        file, separator, name = item.rpartition("=")
        if separator:
            mapping[str(Path(file).resolve())] = normalise_schema_name(name)
        else:
            default = normalise_schema_name(name)
    for name in set(mapping.values()) | ({default} if default else set()):
        if name not in EXPECTED_SCHEMAS:
            print(f"--schema {name}: unknown schema; one of {', '.join(EXPECTED_SCHEMAS)}", file=sys.stderr)
            print("0 passed, 1 failed")
            return 2

    schemas = load_schemas(results)
    check_against_swift(results, schemas)
    check_asyncapi(results, schemas, arguments.asyncapi_schema)
    records = RecordValidator(schemas)
    check_records(results, records, arguments.files, mapping, default)
    negative = check_negative(results, records)
    if arguments.router:
        check_router(results, records, arguments.router, negative)

    if results.skipped:
        print(f"skipped {len(results.skipped)} route validation-error object(s) (not Kafka records): "
              + ", ".join(results.skipped[:5]) + (" ..." if len(results.skipped) > 5 else ""))
    print(f"{results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
