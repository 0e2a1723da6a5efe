"""The running site against its OpenAPI document: a schemathesis run over real HTTP.

A whole deployment is started as for ``tests/e2e`` (gunicorn, an RQ worker, Redis, the vendor sandboxes,
a demo site with its users and API keys). The document is read from where the site serves it
(``/api/method/medgrid.api.openapi.get_openapi``) and schemathesis (``st run``) exercises every operation
in it — the document's examples, its boundary and negative cases (coverage phase) and generated
requests (fuzzing), valid and invalid data — as the partner user with token auth (the hooks in
``st_hooks.py``). Every response must:

* not be a server error (``not_a_server_error``);
* carry a status code the document lists for the operation (``status_code_conformance``);
* carry a content type the document lists for it (``content_type_conformance``);
* match the document's schema for it (``response_schema_conformance``).

One test per operation reports that operation's failures (schemathesis' own text: the check, the
response, a ``curl`` line to reproduce it). 500s whose traceback matches ``known_causes.py`` are
listed by ``test_known_causes_are_still_open`` as expected failures instead. The signed webhook
deliveries the run stored must then be applied by the worker without an error.

Bounded: ``MAX_EXAMPLES`` generated cases per operation and phase, deterministic generation (the same
requests on every run), two concurrent workers. ``st run`` takes one to two minutes on a busy two-core
machine, the deployment around it half a minute more.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest

pytest.importorskip("schemathesis")

from tests.e2e.conftest import start_stack  # noqa: E402
from tests.e2e.stack import BIN, MAIN_WAREHOUSE, PARTNER, ROOT  # noqa: E402

pytestmark = pytest.mark.e2e

DOCUMENT = os.path.join(ROOT, "medgrid", "api", "openapi.json")
SERVED_AT = "/api/method/medgrid.api.openapi.get_openapi"
# per operation and phase; raise it for a deeper run by hand (MEDGRID_CONTRACT_MAX_EXAMPLES=200)
MAX_EXAMPLES = int(os.environ.get("MEDGRID_CONTRACT_MAX_EXAMPLES") or 20)
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")
RUN_TIMEOUT = 600  # seconds; the run itself takes one to two minutes
EVENTS_WAIT = 45  # seconds for the worker to apply the stored webhook events after the run


def _operations() -> list[str]:
    """``METHOD /path`` of every operation in the document (schemathesis names its results so).

    Not the document's own URL: schemathesis leaves out the operation it loaded the document from
    (``test_the_site_serves_the_document_kept_in_the_repo`` covers that one).
    """
    with open(DOCUMENT, encoding="utf-8") as f:
        paths = json.load(f)["paths"]
    methods = ("get", "put", "post", "delete", "patch", "head", "options")
    return sorted(f"{m.upper()} {p}" for p, item in paths.items() for m in item if m in methods and p != SERVED_AT)


OPERATIONS = _operations()


@dataclass
class ContractRun:
    output: str
    exit_code: int
    tested: set = field(default_factory=set)
    failures: dict = field(default_factory=dict)  # operation -> schemathesis' failure text
    known: list = field(default_factory=list)  # known-cause hits (known_causes.py)
    served: dict | None = None
    events: list = field(default_factory=list)  # the webhook events the run stored, once applied


@pytest.fixture(scope="module")
def contract_run(tmp_path_factory):
    stack = start_stack(tmp_path_factory, "api-contract", step_delay=0.3, rq_workers=1, web_workers=2)
    try:
        yield _run_schemathesis(stack, tmp_path_factory.mktemp("api-contract-report"))
    finally:
        stack.stop()


def _run_schemathesis(stack, report_dir) -> ContractRun:
    # Known causes are recognised by their traceback: this throwaway site sends them
    stack.execute("frappe.db.set_single_value", "System Settings", "allow_error_traceback", 1)
    line = {"item_code": "ITEM-002", "qty": 1, "warehouse": MAIN_WAREHOUSE}
    orders = [stack.new_order([line], rx=False), stack.place_order([line], rx=False)]
    served = stack.http.get(stack.url + SERVED_AT, timeout=30)
    served.raise_for_status()

    junit = os.path.join(report_dir, "junit.xml")
    known_log = os.path.join(report_dir, "known-causes.jsonl")
    key, secret = stack.keys[PARTNER]
    env = stack.env()
    env.update({
        "SCHEMATHESIS_HOOKS": "tests.api_contract.st_hooks",
        "MEDGRID_CONTRACT_AUTHORIZATION": f"token {key}:{secret}",
        "MEDGRID_CONTRACT_ORDERS": ",".join(orders),
        "MEDGRID_CONTRACT_SHIPSTATION_SANDBOX": stack.sandboxes["shipstation"].base_url,
        "MEDGRID_CONTRACT_KNOWN_LOG": known_log,
    })
    command = [
        os.path.join(BIN, "st"), "run", stack.url + SERVED_AT, "--url", stack.url,
        "--checks", ",".join(CHECKS),
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(MAX_EXAMPLES), "--generation-deterministic",
        # the hooks authenticate; generated Authorization headers / sid cookies would only be refused
        "--generation-with-security-parameters", "false",
        "--workers", "2", "--continue-on-failure", "--suppress-health-check", "all",
        "--max-redirects", "0", "--request-timeout", "60",
        "--report", "junit", "--report-junit-path", junit,
        "--output-truncate", "false", "--warnings", "off", "--no-color",
    ]
    # cwd: the report folder, so nothing lands in the repository
    result = subprocess.run(command, cwd=str(report_dir), env=env, capture_output=True, text=True,
                            timeout=RUN_TIMEOUT)
    run = ContractRun(output=result.stdout + result.stderr, exit_code=result.returncode, served=served.json())
    with open(os.path.join(report_dir, "st-output.txt"), "w", encoding="utf-8") as f:
        f.write(run.output)
    if os.path.exists(junit):
        for case in ET.parse(junit).iter("testcase"):
            name = case.get("name")
            run.tested.add(name)
            failure = case.find("failure")
            if failure is not None:
                run.failures[name] = failure.text or failure.get("message") or "(no details)"
    if os.path.exists(known_log):
        with open(known_log, encoding="utf-8") as f:
            run.known = [json.loads(row) for row in f if row.strip()]
    run.events = _applied_webhook_events(stack)
    return run


def _applied_webhook_events(stack) -> list[dict]:
    """The stored webhook events once the worker has applied them (at most ``EVENTS_WAIT`` seconds: one
    worker forks per job, so hundreds of events take a while; the ones still queued are not judged)."""
    fields = ("name", "vendor", "event_type", "status", "error")
    deadline = time.monotonic() + EVENTS_WAIT
    while True:
        events = stack.get_list("MedGrid Webhook Event", fields=fields)
        if not any(e["status"] == "Received" for e in events) or time.monotonic() > deadline:
            return events
        time.sleep(1)


def test_the_site_serves_the_document_kept_in_the_repo(contract_run):
    with open(DOCUMENT, encoding="utf-8") as f:
        stored = json.load(f)
    served = dict(contract_run.served)
    # the only change: the serving site's URL comes first among the servers
    assert served.pop("servers")[1:] == stored.pop("servers")
    assert served == stored


def _errors_section(output: str) -> str:
    """schemathesis' ERRORS section (operations it could not test, with the reason), else the tail."""
    start = output.find("ERRORS")
    end = output.find("SUMMARY", start)
    return output[start:end] if start >= 0 else output[-6000:]


def test_the_run_covered_every_operation(contract_run):
    assert contract_run.exit_code in (0, 1), f"st run could not run (exit {contract_run.exit_code}):\n" \
                                             f"{contract_run.output[-6000:]}"
    untested = [op for op in OPERATIONS if op not in contract_run.tested]
    assert not untested, f"not tested: {untested}\n{_errors_section(contract_run.output)}"
    unexpected = sorted(contract_run.tested - set(OPERATIONS))
    assert not unexpected, f"results for operations the document does not have: {unexpected}"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_responses_match_the_document(contract_run, operation):
    failure = contract_run.failures.get(operation)
    assert failure is None, f"{operation}: responses that break the document\n\n{failure}"


def test_signed_deliveries_were_stored_and_applied_without_errors(contract_run):
    """The fuzzed deliveries that passed verification reach the worker; none may break its apply."""
    applied = {e["vendor"] for e in contract_run.events if e["status"] != "Received"}
    assert {"perfectrx", "sinq", "exoceuticals", "shipstation"} <= applied, applied
    failed = [e for e in contract_run.events if e["status"] == "Failed"]
    assert not failed, "apply failed:\n" + "\n\n".join(
        f"{e['name']} ({e['vendor']} {e.get('event_type')}):\n{(e.get('error') or '')[:1500]}" for e in failed[:5])


def test_known_causes_are_still_open(contract_run):
    """Server errors with a known, reported cause outside this folder (``known_causes.py``)."""
    if not contract_run.known:
        return  # all fixed (or not reached this run): their entries in known_causes.py can go
    seen: dict[str, dict] = {}
    for hit in contract_run.known:
        seen.setdefault(hit["cause"], {"operations": set(), "request": hit["request"]})["operations"].add(
            hit["operation"])
    lines = [f"{cause}: {', '.join(sorted(info['operations']))}\n    {info['request']}"
             for cause, info in sorted(seen.items())]
    pytest.xfail("500s with a known cause (tests/api_contract/known_causes.py):\n" + "\n".join(lines))
