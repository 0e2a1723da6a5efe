"""Shared helpers of the MedGrid benchmarks: bench sites, a gunicorn subprocess, load generators, stats.

Everything runs on loopback and stops by itself (bounded durations, timeouts). Nothing here asserts a
timing: the scripts print figures and ratios, and the reader judges them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, "benchmarks")
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PYTHON = os.path.join(VENV_BIN, "python") if os.path.exists(os.path.join(VENV_BIN, "python")) else sys.executable
GUNICORN = os.path.join(VENV_BIN, "gunicorn")
DEFAULT_SITES_PATH = os.environ.get("MEDGRID_BENCH_SITES", os.path.join(BENCH_DIR, ".sites"))
RECORDINGS = "/work/shared/frappe/recordings"
REDIS_URL = "redis://127.0.0.1:6379"

# bench's production gunicorn flags, as in recordings/perf.md, with the runtime's gunicorn settings as
# `medgrid-runtime setup production` writes them (redacting access log; workers forked warm under --preload)
GUNICORN_FLAGS = ["-c", "python:medgrid_runtime.gunicorn_conf", "-w", "2", "--max-requests", "5000",
                  "--max-requests-jitter", "500", "-t", "120", "--graceful-timeout", "30", "--preload"]


def log(*args) -> None:
    print(*args, flush=True)


# ------------------------------------------------------------------ statistics

def percentile(values, p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, int(-(-p * len(ordered) // 100)))  # ceil(p/100 * n)
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> float:
    return seconds * 1000.0


# ------------------------------------------------------------------ sites

def db_name_for(site: str) -> str:
    return "_mgbench_" + re.sub(r"[^a-z0-9]+", "_", site.lower()).strip("_")[:40]


def prepare_sites_path(sites_path: str, redis: bool = True) -> None:
    os.makedirs(sites_path, exist_ok=True)
    common = os.path.join(sites_path, "common_site_config.json")
    conf = {}
    if os.path.exists(common):
        with open(common, encoding="utf-8") as f:
            conf = json.load(f)
    if redis:
        conf["redis_cache"] = REDIS_URL
    else:
        conf.pop("redis_cache", None)
    with open(common, "w", encoding="utf-8") as f:
        json.dump(conf, f, indent=1, sort_keys=True)
    os.environ["MEDGRID_SITES_PATH"] = sites_path


def state_path(sites_path: str, site: str) -> str:
    return os.path.join(sites_path, site, "bench_state.json")


def read_state(sites_path: str, site: str) -> dict | None:
    path = state_path(sites_path, site)
    if not os.path.exists(os.path.join(sites_path, site, "site_config.json")) or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_state(sites_path: str, site: str, state: dict) -> None:
    with open(state_path(sites_path, site), "w", encoding="utf-8") as f:
        json.dump(state, f, indent=1, sort_keys=True)


def create_site(sites_path: str, site: str, db_type: str, apps) -> None:
    """A fresh site (replacing any earlier one of that name) with ``apps`` installed after frappe."""
    from frappe.installer import new_site

    t0 = time.perf_counter()
    new_site(site, sites_path=sites_path, db_type=db_type,
             db_name=None if db_type == "sqlite" else db_name_for(site),
             admin_password="admin", install_apps=list(apps), force=True)
    log(f"  site {site} ({db_type}) created with frappe+{'+'.join(apps)} in {time.perf_counter() - t0:.1f} s")


def open_site(sites_path: str, site: str) -> None:
    import frappe

    frappe.init(site, sites_path=sites_path, force=True)
    frappe.connect()
    frappe.set_user("Administrator")


def close_site() -> None:
    import frappe

    if getattr(frappe.local, "db", None):
        try:
            frappe.db.commit()
        except Exception:
            pass
    frappe.destroy()


def make_api_user(email: str, roles) -> dict:
    """A System User with ``roles`` and fresh API keys (``generate_keys``); returns key and secret."""
    import frappe
    from frappe.core.doctype.user.user import generate_keys

    if not frappe.db.exists("User", email):
        frappe.get_doc({"doctype": "User", "email": email, "first_name": "API", "last_name": "Bench",
                        "send_welcome_email": 0, "user_type": "System User",
                        "roles": [{"role": r} for r in roles]}).insert(ignore_permissions=True)
    keys = generate_keys(email)
    frappe.db.commit()
    return {"user": email, "api_key": keys["api_key"], "api_secret": keys["api_secret"]}


# ------------------------------------------------------------------ gunicorn

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``gunicorn frappe.app:application`` as our own subprocess (a new process group), on loopback."""

    def __init__(self, sites_path: str, default_site: str, port: int | None = None, workers: int = 2,
                 max_requests: int = 5000, access_log: bool = True, tag: str = "bench",
                 app: str = "frappe.app:application"):
        self.sites_path = sites_path
        self.default_site = default_site
        self.port = port or free_port()
        self.workers = workers
        self.max_requests = max_requests
        self.access_log = access_log
        self.tag = tag
        self.app = app
        self.proc: subprocess.Popen | None = None
        logs = os.path.join(sites_path, "logs")
        os.makedirs(logs, exist_ok=True)
        self.error_log = os.path.join(logs, f"gunicorn-{tag}-error.log")
        self.access_log_file = os.path.join(logs, f"gunicorn-{tag}-access.log")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        flags = list(GUNICORN_FLAGS)
        flags[flags.index("-w") + 1] = str(self.workers)
        flags[flags.index("--max-requests") + 1] = str(self.max_requests)
        cmd = [GUNICORN, "-b", f"127.0.0.1:{self.port}", *flags, "--error-logfile", self.error_log]
        if self.access_log:
            cmd += ["--access-logfile", self.access_log_file]
        return cmd + [self.app]

    def start(self, probe_path: str = "/api/method/ping", timeout: float = 60.0) -> "Gunicorn":
        env = dict(os.environ, MEDGRID_SITES_PATH=self.sites_path, MEDGRID_DEFAULT_SITE=self.default_site)
        for path in (self.error_log, self.access_log_file):
            if os.path.exists(path):
                os.remove(path)
        self.proc = subprocess.Popen(self.command(), cwd=self.sites_path, env=env, start_new_session=True,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.error_log}")
            try:
                req = urllib.request.Request(self.base_url + probe_path, headers={"Host": self.default_site})
                with urllib.request.urlopen(req, timeout=5) as r:
                    r.read()
                    break
            except Exception:
                time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"gunicorn did not answer within {timeout} s; see {self.error_log}")
        time.sleep(1.0)  # let the second worker finish booting too
        return self

    def worker_boots(self) -> int:
        """How many times a worker was booted (2 at start; more means --max-requests recycling)."""
        try:
            with open(self.error_log, encoding="utf-8", errors="replace") as f:
                return f.read().count("Booting worker")
        except OSError:
            return 0

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)  # our own process group only
        try:
            self.proc.wait(timeout=35)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ------------------------------------------------------------------ load generators

def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def _wrk_duration(text: str) -> float:
    """'17.24ms' / '1.02s' / '850.00us' / '2.00m' → milliseconds."""
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, headers: dict, connections: int, duration: int, warmup: int = 3) -> dict:
    """wrk -t1 -c<C> -d<D>s --timeout 10s --latency, after a discarded warm-up at the same concurrency."""
    hdr = []
    for k, v in headers.items():
        hdr += ["-H", f"{k}: {v}"]
    if warmup:
        subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{warmup}s", *hdr, url],
                       capture_output=True, text=True, timeout=warmup + 60)
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "10s", "--latency", *hdr, url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    res = {"tool": "wrk", "raw": out, "connections": connections, "duration_s": duration}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else float("nan")
    m = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    res["max_ms"] = _wrk_duration(m.group(3)) if m else float("nan")
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        res[f"p{pct}_ms"] = _wrk_duration(m.group(1)) if m else float("nan")
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors:.*", out)
    res["socket_errors"] = m.group(0) if m else ""
    return res


def run_python_loadgen(url: str, headers: dict, connections: int, duration: int, warmup: int = 3) -> dict:
    """The fallback: benchmarks/_loadgen.py in a separate process (threads, keep-alive sessions)."""
    cmd = [PYTHON, os.path.join(BENCH_DIR, "_loadgen.py"), "--url", url, "--connections", str(connections),
           "--duration", str(duration), "--warmup", str(warmup), "--headers", json.dumps(headers)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + warmup + 120)
    if out.returncode:
        raise RuntimeError(out.stderr)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["tool"] = "python"
    return res


def run_load(url: str, headers: dict, connections: int, duration: int, warmup: int = 3, tool: str = "auto") -> dict:
    if tool == "wrk" or (tool == "auto" and have_wrk()):
        return run_wrk(url, headers, connections, duration, warmup)
    return run_python_loadgen(url, headers, connections, duration, warmup)


def http_get(url: str, headers: dict, timeout: float = 30.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


# ------------------------------------------------------------------ misc

def statement_log():
    """``tests/statement_log.py``'s counter of the statements the three drivers send (transaction control
    left out), installed for a ``with`` block: the benchmarks count as the statement-budget tests do."""
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    from tests.statement_log import StatementLog, drivers_logging_to

    return drivers_logging_to(StatementLog())


def machine_summary() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU ({cpu}), Python {sys.version.split()[0]}"


def cpu_calibration(rounds: int = 3) -> float:
    """Seconds for a fixed pure-Python loop (best of ``rounds``): shows how fast the shared VM is right now."""
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - t0)
    return best
