"""A whole MedGrid deployment on loopback, as separate processes, for end-to-end tests and benchmarks.

:class:`Stack` starts, on free ports and in a temporary sites folder:

* a private ``redis-server`` (jobs, cache and the connectors' shared rate limits; nothing shared with
  other runs) — or, without the binary, the Redis named by ``MEDGRID_E2E_REDIS`` with a random DB
  number and a unique ``bench_id``;
* the five vendor sandboxes (``python -m sandbox`` with ``--ready-file`` and ephemeral ports);
* a site built like ``scripts/demo_site.py`` builds the demo (the guide's catalog, a user per role with
  API keys, every integration pointed at the sandboxes) on SQLite, or MariaDB/PostgreSQL when
  ``MEDGRID_TEST_DB`` says so;
* the web server as production runs it (``gunicorn -c python:medgrid_runtime.gunicorn_conf --preload -w 2
  'frappe.app:application'``), RQ workers (``medgrid-runtime worker``)
  and, when asked, the scheduler (``medgrid-runtime schedule``).

Every process runs in its own session so :meth:`Stack.stop` (and ``kill_worker``) take down its
forked children too. All waits are bounded. Used by ``tests/e2e`` and ``benchmarks/order_flow.py``.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from urllib.parse import quote

import requests

from sandbox import sandbox_paths

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
BIN = VENV_BIN if os.path.exists(os.path.join(VENV_BIN, "python")) else os.path.dirname(sys.executable)
PYTHON = os.path.join(BIN, "python")
RUNTIME = os.path.join(BIN, "medgrid-runtime")
GUNICORN = os.path.join(BIN, "gunicorn")

SITE = "medgrid.localhost"
VENDORS = tuple(sandbox_paths())  # the sandboxes the vendor registry names, in its order
PARTNER = "partner@clinic.example"
ADMIN = "admin@medgrid.example"
CUSTOMER = "Demo Clinic Partner"
SHIPPING_ADDRESS = "Demo Clinic Partner-Shipping"
MAIN_WAREHOUSE = "Skydell Main - SM"
EXO_WAREHOUSE = "Skydell Exoceuticals - SM"

# A sandbox's default credentials, as scripts/demo_site.py configures MedGrid with them
SHIPSTATION_KEY = ("sandbox-shipstation-key", "sandbox-shipstation-secret")

RX_ORDER_FIELDS = {
    "patient_first_name": "Jane", "patient_last_name": "Smith", "patient_dob": "1980-04-12",
    "prescriber_npi": "1234567893", "prescriber_first_name": "Gregory", "prescriber_last_name": "House",
}

# Lines for all five vendors (the demo catalog: ITEM-001 Centre Research, ITEM-002 ShipStation,
# ITEM-003 SINQ, ITEM-004 PerfectRx (Rx), ITEM-005 Exoceuticals)
FIVE_VENDOR_LINES = [
    {"item_code": "ITEM-001", "qty": 2, "rate": 89.00, "warehouse": MAIN_WAREHOUSE},
    {"item_code": "ITEM-002", "qty": 1, "warehouse": MAIN_WAREHOUSE},
    {"item_code": "ITEM-003", "qty": 3, "warehouse": MAIN_WAREHOUSE},
    {"item_code": "ITEM-004", "qty": 1, "warehouse": MAIN_WAREHOUSE},
    {"item_code": "ITEM-005", "qty": 1, "warehouse": EXO_WAREHOUSE},
]

DEFAULT_TIMEOUT = 30.0

# vendor API paths (sandbox fault filters are regexes searched in the request path)
SINQ_ORDERS = "/api/receivers/orders/inbound"
CR_ORDERS = "/sales-channels/integration/orders$"
SS_CREATE = "/orders/createorder"


class StackError(RuntimeError):
    pass


def free_port() -> int:
    """A free loopback port below the kernel's ephemeral range. A port the kernel hands out (bind to 0)
    comes from that range, and the web port is chosen well before gunicorn binds it (the site is built
    in between): any outgoing connection meanwhile (database, Redis, a sandbox) may take it as its local
    port, and gunicorn then fails with "Address already in use" (seen once in CI)."""
    low = _ephemeral_ports_start()
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(max(1024, low - 12000), low - 1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # a crowded machine: any free port
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ephemeral_ports_start() -> int:
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range", encoding="ascii") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def wait_until(predicate, timeout: float = DEFAULT_TIMEOUT, interval: float = 0.2, what: str = "condition",
               diagnose=None):
    """Poll ``predicate`` until it returns something truthy (returned) or ``timeout`` passes (raise,
    with ``diagnose()``'s answer in the message when given)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # keep polling through transient errors, report the last one
            last_error = exc
        if time.monotonic() >= deadline:
            detail = ""
            if diagnose is not None:
                try:
                    detail = f"\nstate: {diagnose()}"
                except Exception as exc:
                    detail = f"\n(diagnose failed: {exc!r})"
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}"
                               + (f" (last error: {last_error!r})" if last_error else "") + detail)
        time.sleep(interval)


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback only: never through a proxy from the environment
    return session


# ------------------------------------------------------------------------------------ processes

def _die_with_parent() -> None:
    """In the child before exec (Linux): get SIGTERM when the process that started us dies, so a test
    run killed outright (a CI timeout) leaves no server behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Proc:
    """A child process in its own session, with its output in a log file."""

    def __init__(self, name: str, args: list[str], log_path: str, env: dict | None = None, cwd: str = ROOT):
        self.name = name
        self.args = args
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(args, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, start_new_session=True,
                                      preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def descendants(self) -> list[int]:
        """PIDs of every process below this one (an RQ work-horse runs in a session of its own)."""
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
        found, todo = [], [self.popen.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child)
        return found

    def kill(self) -> None:
        """SIGKILL the process and everything below it at once (a crash: no cleanup runs)."""
        victims = self.descendants()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, then SIGKILL what is left after ``timeout``."""
        victims = self.descendants() if self.popen.poll() is None else []
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # children (e.g. a forked RQ work-horse in its own session) must not outlive the test
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        for pid in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=5)
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""


# ------------------------------------------------------------------------------------ sandboxes

class Sandbox:
    """HTTP access to one running vendor sandbox's vendor API and ``/__sandbox`` control surface."""

    def __init__(self, vendor: str, base_url: str):
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.http = _session()

    def _call(self, method: str, path: str, payload=None):
        response = self.http.request(method, f"{self.base_url}/__sandbox/{path}", json=payload, timeout=15)
        response.raise_for_status()
        return response.json()

    def state(self, log: str | int = 50) -> dict:
        return self._call("GET", f"state?log={log}")

    def orders(self) -> list[dict]:
        return self.state(log=0)["orders"]

    def faults(self, *faults: dict, replace: bool = False) -> dict:
        return self._call("POST", "faults", {"replace": replace, "faults": list(faults)})

    def list_faults(self) -> list[dict]:
        return self._call("GET", "faults")["faults"]

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def config(self, **values) -> dict:
        return self._call("POST", "config", values)

    def advance(self, **payload) -> dict:
        return self._call("POST", "advance", payload or {"all": True})

    def action(self, **payload) -> dict:
        return self._call("POST", "action", payload)

    def redeliver(self, delivery_id: int) -> dict:
        return self._call("POST", "redeliver", {"delivery": delivery_id})

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def deliveries(self, order: str | None = None) -> list[dict]:
        items = self.state(log=0)["webhooks"]["deliveries"]
        return [d for d in items if order is None or d.get("order") == order or order in (d.get("raw") or "")]

    def requests_log(self) -> list[dict]:
        return self.state(log="all")["log"]


# ------------------------------------------------------------------------------------ the stack

class Stack:
    """MedGrid + sandboxes + Redis as processes on loopback; see the module docstring."""

    def __init__(self, base_dir: str, *, db_type: str | None = None, step_delay: float | None = 0.3,
                 sandbox_config: dict | None = None, web_workers: int = 2, rq_workers: int = 1,
                 scheduler: bool = False, settings: dict | None = None, http_timeout: int = 10,
                 production_web: bool = True):
        self.base_dir = os.path.abspath(base_dir)
        self.sites_path = os.path.join(self.base_dir, "sites")
        self.logs = os.path.join(self.base_dir, "logs")
        self.db_type = db_type or os.environ.get("MEDGRID_TEST_DB", "sqlite")
        if self.db_type not in ("sqlite", "mariadb", "postgres"):
            raise StackError(f"unknown MEDGRID_TEST_DB {self.db_type!r}")
        self.step_delay = step_delay
        self.sandbox_config = sandbox_config or {}
        self.web_workers = web_workers
        # gunicorn as `setup production` runs it (--preload, the runtime's config: warm workers, redacted
        # access log), so the tests drive what production serves; False: a plain gunicorn whose workers
        # import the app themselves
        self.production_web = production_web
        self.rq_worker_count = rq_workers
        self.with_scheduler = scheduler
        # MedGrid System Settings for the run (short http timeout: a hung vendor fails fast)
        self.settings = {"http_timeout_seconds": http_timeout, **(settings or {})}
        self.web_port = free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.bench_id = f"mge2e-{secrets.token_hex(4)}"
        self.db_name = None if self.db_type == "sqlite" else f"_mge2e_{secrets.token_hex(5)}"
        self.redis_url = None
        self.keys: dict[str, tuple[str, str]] = {}
        self.sandboxes: dict[str, Sandbox] = {}
        self.procs: dict[str, Proc] = {}
        self.workers: list[Proc] = []
        self._worker_seq = 0
        self._site_created = False
        self.http = _session()

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> "Stack":
        atexit.register(self.stop)  # an interrupted run still stops what it started
        os.makedirs(self.sites_path, exist_ok=True)
        os.makedirs(self.logs, exist_ok=True)
        try:
            self._start_redis()
            self._write_common_config()
            self._start_sandboxes()
            self._build_site()
            self._start_web()
            for _ in range(self.rq_worker_count):
                self.start_worker()
            if self.with_scheduler:
                self.procs["scheduler"] = Proc("scheduler", [RUNTIME, "schedule"], self._log("scheduler"),
                                               env=self.env())
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if not self.procs and not self.workers:
            return
        for proc in list(self.workers) + [p for n, p in reversed(list(self.procs.items())) if n != "redis"]:
            proc.stop()
        self.workers = []
        if self._site_created and self.db_type != "sqlite":
            self._drop_database()
        if "redis" in self.procs:
            self.procs["redis"].stop()
        elif self.redis_url:
            with contextlib.suppress(Exception):
                import redis

                redis.Redis.from_url(self.redis_url).flushdb()
        self.procs = {}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def env(self) -> dict:
        env = dict(os.environ)
        env.update({"MEDGRID_SITES_PATH": self.sites_path, "MEDGRID_DEFAULT_SITE": SITE, "PYTHONUNBUFFERED": "1",
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
        for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            env.pop(key, None)
        env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        return env

    def _log(self, name: str) -> str:
        return os.path.join(self.logs, f"{name}.log")

    def logs_tail(self, lines: int = 30) -> str:
        out = []
        for proc in list(self.procs.values()) + self.workers:
            out.append(f"----- {proc.name} ({proc.log_path})\n{proc.tail(lines)}")
        return "\n".join(out)

    # ---------------------------------------------------------------- redis
    def _start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary and not os.environ.get("MEDGRID_E2E_REDIS"):
            port = free_port()
            self.procs["redis"] = Proc("redis", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                                 "--appendonly", "no", "--dir", self.base_dir],
                                       self._log("redis"))
            self.redis_url = f"redis://127.0.0.1:{port}"
        else:  # a shared Redis: a DB number of our own and a unique bench_id keep runs apart
            base = os.environ.get("MEDGRID_E2E_REDIS", "redis://127.0.0.1:6379").rstrip("/")
            self.redis_url = f"{base}/{secrets.randbelow(14) + 2}"
        import redis

        client = redis.Redis.from_url(self.redis_url)
        wait_until(client.ping, timeout=15, interval=0.1, what=f"redis at {self.redis_url}")

    def _write_common_config(self) -> None:
        config = {"default_site": SITE, "redis_queue": self.redis_url, "redis_cache": self.redis_url,
                  "bench_id": self.bench_id}
        with open(os.path.join(self.sites_path, "common_site_config.json"), "w") as f:
            json.dump(config, f, indent=1)

    # ---------------------------------------------------------------- sandboxes
    def _start_sandboxes(self) -> None:
        ready = os.path.join(self.base_dir, "sandboxes.json")
        config_path = os.path.join(self.base_dir, "sandbox-config.json")
        config = {"medgrid_url": self.url, "step_delay": self.step_delay, "webhook_timeout": 10}
        for vendor in VENDORS:
            config[vendor] = {"port": 0, **(self.sandbox_config.get(vendor) or {})}
        with open(config_path, "w") as f:
            json.dump(config, f)
        args = [PYTHON, "-m", "sandbox", "--config", config_path, "--ready-file", ready]
        if self.step_delay is None:
            args.append("--manual")
        self.procs["sandboxes"] = Proc("sandboxes", args, self._log("sandboxes"), env=self.env())
        urls = wait_until(lambda: _read_json(ready), timeout=20, interval=0.1, what="the sandboxes' ready file")
        self.sandboxes = {vendor: Sandbox(vendor, url) for vendor, url in urls.items()}

    def sandbox(self, vendor: str) -> Sandbox:
        return self.sandboxes[vendor]

    # ---------------------------------------------------------------- site
    def _build_site(self) -> None:
        out = os.path.join(self.base_dir, "site.json")
        spec = {"sites_path": self.sites_path, "db_type": self.db_type, "db_name": self.db_name,
                "web_port": self.web_port, "sandboxes": {v: s.base_url for v, s in self.sandboxes.items()},
                "settings": self.settings, "out": out}
        self._site_created = True  # from here on, stop() drops the database
        result = subprocess.run([PYTHON, "-m", "tests.e2e.stack", json.dumps(spec)], cwd=ROOT, env=self.env(),
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise StackError(f"building the site failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        built = _read_json(out)
        self.keys = {email: tuple(pair) for email, pair in built["keys"].items()}

    def _drop_database(self) -> None:
        subprocess.run([PYTHON, "-c", (
            "import sys, json, frappe\n"
            "from frappe.installer import drop_site_database\n"
            "conf = frappe.get_site_config(sys.argv[1], sys.argv[2])\n"
            "drop_site_database(conf) if conf.get('db_type') in ('mariadb', 'postgres') else None\n"),
            self.sites_path, os.path.join(self.sites_path, SITE)], cwd=ROOT, env=self.env(),
            capture_output=True, timeout=120)

    # ---------------------------------------------------------------- web, workers, scheduler
    def _start_web(self) -> None:
        args = [GUNICORN, "-w", str(self.web_workers), "-b", f"127.0.0.1:{self.web_port}", "-t", "120",
                "--graceful-timeout", "5", "frappe.app:application"]
        if self.production_web:
            args[1:1] = ["-c", "python:medgrid_runtime.gunicorn_conf", "--preload"]
        self.procs["web"] = Proc("web", args, self._log("web"), env=self.env())

        def up():
            if not self.procs["web"].alive():
                raise StackError(f"gunicorn exited:\n{self.procs['web'].tail()}")
            return self.http.get(f"{self.url}/api/method/ping", timeout=2).ok
        wait_until(up, timeout=30, interval=0.2, what="the web server")

    def start_worker(self) -> Proc:
        self._worker_seq += 1
        proc = Proc(f"worker-{self._worker_seq}", [RUNTIME, "worker"], self._log(f"worker-{self._worker_seq}"),
                    env=self.env())
        self.workers.append(proc)
        return proc

    def kill_worker(self, proc: Proc) -> None:
        """kill -9 the worker and its forked work-horse (a crashed machine: no cleanup runs)."""
        proc.kill()
        self.workers.remove(proc)

    def execute(self, method: str, *args, **kwargs):
        """``medgrid-runtime --site SITE execute method`` (what an operator or the scheduler would run)."""
        cmd = [RUNTIME, "--site", SITE, "execute", method]
        if args:
            cmd += ["--args", repr(list(args))]
        if kwargs:
            cmd += ["--kwargs", repr(kwargs)]
        result = subprocess.run(cmd, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise StackError(f"{method} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        text = result.stdout.strip()
        try:
            return json.loads(text.splitlines()[-1]) if text else None
        except ValueError:
            return text

    def server_time_passed(self, moment: str) -> bool:
        """True once MedGrid's clock (as the sweep reads it) is past ``moment`` (a Datetime value)."""
        from datetime import datetime

        now = self.execute("frappe.utils.now")
        return bool(now) and datetime.fromisoformat(str(now)) > datetime.fromisoformat(str(moment))

    def sweep(self) -> int:
        """Run the dispatch sweep once (the scheduler's every-minute job)."""
        return self.execute("medgrid.fulfillment_router.dispatch.sweep") or 0

    # ---------------------------------------------------------------- MedGrid HTTP
    def auth(self, user: str = PARTNER) -> dict:
        key, secret = self.keys[user]
        return {"Authorization": f"token {key}:{secret}", "Accept": "application/json"}

    def request(self, method: str, path: str, user: str | None = PARTNER, *, params=None, body=None,
                headers=None, data=None, timeout: float = 30) -> requests.Response:
        merged = dict(self.auth(user)) if user else {"Accept": "application/json"}
        merged.update(headers or {})
        return self.http.request(method, f"{self.url}{path}", params=params, json=body, data=data,
                                 headers=merged, timeout=timeout)

    def method(self, name: str, user: str | None = PARTNER, http_method: str = "GET", **params):
        if http_method == "GET":
            return self.request("GET", f"/api/method/{name}", user, params=params)
        return self.request(http_method, f"/api/method/{name}", user, body=params)

    def resource(self, http_method: str, doctype: str, name: str | None = None, user: str | None = PARTNER,
                 body=None, params=None) -> requests.Response:
        path = f"/api/resource/{quote(doctype)}" + (f"/{quote(name)}" if name else "")
        return self.request(http_method, path, user, params=params, body=body)

    def get_doc(self, doctype: str, name: str, user: str = ADMIN) -> dict:
        response = self.resource("GET", doctype, name, user=user)
        _expect(response, 200)
        return response.json()["data"]

    def get_list(self, doctype: str, filters=None, fields=("name",), user: str = ADMIN, limit: int = 0) -> list[dict]:
        params = {"fields": json.dumps(list(fields)), "limit_page_length": limit or 100000}
        if filters is not None:
            params["filters"] = json.dumps(filters)
        response = self.resource("GET", doctype, user=user, params=params)
        _expect(response, 200)
        return response.json()["data"]

    def set_single(self, doctype: str, values: dict) -> dict:
        response = self.resource("PUT", doctype, doctype, user=ADMIN, body=values)
        _expect(response, 200)
        return response.json()["data"]

    def receive_stock(self, lines, warehouse: str = MAIN_WAREHOUSE) -> str:
        """Submit a Material Receipt of ``[(item_code, qty)]`` (as the site's Administrator, as stock staff
        would): orders sell only what is in stock and each submitted order reserves its lines, so long
        runs top the demo stock up first."""
        doc = {"doctype": "Stock Entry", "stock_entry_type": "Material Receipt", "purpose": "Material Receipt",
               "company": "Skydell", "posting_date": date.today().isoformat(), "docstatus": 1,
               "items": [{"item_code": code, "qty": qty, "t_warehouse": warehouse, "basic_rate": 1}
                         for code, qty in lines]}
        return self.execute("frappe.client.insert", doc=doc)["name"]

    def new_order(self, lines=None, *, rx: bool = True, user: str = PARTNER, **extra) -> str:
        """POST a draft Sales Order as the partner (the guide's step 1); returns its name."""
        body = {"customer": CUSTOMER, "transaction_date": date.today().isoformat(),
                "delivery_date": (date.today() + timedelta(days=7)).isoformat(), "currency": "USD",
                "selling_price_list": "Standard Selling", "shipping_address_name": SHIPPING_ADDRESS,
                "items": [dict(line) for line in (lines or FIVE_VENDOR_LINES)]}
        if rx:
            body.update(RX_ORDER_FIELDS)
        body.update(extra)
        response = self.resource("POST", "Sales Order", user=user, body=body)
        _expect(response, 200)
        return response.json()["data"]["name"]

    def submit_order(self, name: str, user: str = PARTNER) -> requests.Response:
        """PUT docstatus=1 (the guide's step 2)."""
        response = self.resource("PUT", "Sales Order", name, user=user, body={"docstatus": 1})
        _expect(response, 200)
        return response

    def place_order(self, lines=None, **kw) -> str:
        name = self.new_order(lines, **kw)
        self.submit_order(name)
        return name

    def shipments(self, sales_order: str, user: str = PARTNER) -> list[dict]:
        response = self.method("medgrid.fulfillment_router.aggregate_shipments", user, "POST",
                               sales_order=sales_order)
        _expect(response, 200)
        return response.json()["message"]["shipments"]

    def dispatches(self, sales_order: str | None = None) -> list[dict]:
        filters = {"sales_order": sales_order} if sales_order else None
        return self.get_list("Fulfillment Dispatch", filters, fields=(
            "name", "sales_order", "vendor", "status", "attempts", "last_error", "vendor_order_id",
            "next_retry_at", "claimed_until", "sent_at", "creation"))

    def wait_dispatches(self, sales_order: str, statuses=("Sent",), count: int | None = None,
                        timeout: float = DEFAULT_TIMEOUT) -> list[dict]:
        def done():
            rows = self.dispatches(sales_order)
            if count is not None and len(rows) != count:
                return None
            return rows if rows and all(r["status"] in statuses for r in rows) else None
        try:
            return wait_until(done, timeout=timeout, interval=0.25, what=f"dispatches of {sales_order} in {statuses}")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\nlast: {self.dispatches(sales_order)}\n{self.logs_tail()}") from None

    def webhook_events(self, filters=None) -> list[dict]:
        return self.get_list("MedGrid Webhook Event", filters, fields=("name", "vendor", "dedupe_key", "status",
                                                                        "sales_order", "creation"))


def shipstation_basic_auth(key: str = SHIPSTATION_KEY[0], secret: str = SHIPSTATION_KEY[1]) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def sandbox_fingerprint(value: str) -> str:
    """The sandboxes' client id for a credential (``sandbox.framework.fingerprint``)."""
    import hashlib

    return "fp-" + hashlib.sha256(value.encode()).hexdigest()[:10]


def _expect(response: requests.Response, status: int) -> None:
    if response.status_code != status:
        raise AssertionError(f"{response.request.method} {response.url} answered {response.status_code}, "
                             f"expected {status}: {response.text[:2000]}")


def _read_json(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------------------------ site builder
# Runs in a child process (``python -m tests.e2e.stack SPEC``) so the test process never holds Frappe
# state for this site.

def _build(spec: dict) -> None:
    import importlib.util

    import frappe
    from frappe.installer import new_site

    demo_path = os.path.join(ROOT, "scripts", "demo_site.py")
    loader = importlib.util.spec_from_file_location("medgrid_demo_site", demo_path)
    demo = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(demo)

    sites_path = spec["sites_path"]
    new_site(SITE, sites_path=sites_path, db_type=spec["db_type"], db_name=spec.get("db_name"),
             admin_password="admin", install_apps=["erpnext", "medgrid"], force=True)
    frappe.init(SITE, sites_path=sites_path, force=True)
    frappe.connect()
    try:
        from medgrid.setup.demo import make_demo_data

        make_demo_data()
        keys = demo._make_users()
        ports = [int(spec["sandboxes"][v].rsplit(":", 1)[1]) for v in VENDORS]
        demo._point_integrations_at_sandboxes(spec["web_port"], ports)
        demo._set_single("MedGrid System Settings", spec.get("settings") or {})
        frappe.db.commit()
    finally:
        frappe.destroy()
    with open(spec["out"], "w") as f:
        json.dump({"keys": keys}, f)


if __name__ == "__main__":
    _build(json.loads(sys.argv[1]))
