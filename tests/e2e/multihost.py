"""A MedGrid deployment grown past one machine, on loopback: several web "hosts" and worker "hosts"
behind a real nginx, one MariaDB and one Redis.

:class:`MultiHostStack` is :class:`tests.e2e.stack.Stack` (sandboxes, Redis, the demo site) with the
processes an operator would run from ``medgrid-runtime setup supervisor`` / ``setup nginx``:

* each web host is the generated ``<bench>-web`` program (gunicorn with
  ``medgrid_runtime.gunicorn_conf``) on a port of its own;
* each worker host is the generated ``<bench>-short-worker`` program (the dispatch jobs' queue);
* nginx (Debian's package, unprivileged, foreground) runs the generated site with every web host as
  an upstream, on the port the sandboxes and clients use (``stack.url``).
"""

from __future__ import annotations

import configparser
import getpass
import os
import re
import shlex
import shutil
import subprocess

from tests.e2e.stack import PYTHON, ROOT, RUNTIME, SITE, Proc, Stack, StackError, free_port, wait_until

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def write_nginx_main_conf(prefix: str, site_conf: str) -> str:
    """A main nginx.conf that includes ``site_conf`` (a generated site) in its http block, with every
    path nginx writes inside ``prefix`` so it runs without /etc/nginx or /var."""
    os.makedirs(prefix, exist_ok=True)
    path = os.path.join(prefix, "nginx-main.conf")
    # nginx's workers run as "nobody" under a root master; the test folders are the runner's own
    user = "user root;\n" if os.geteuid() == 0 else ""
    with open(path, "w") as f:
        f.write(f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site_conf};
}}
""")
    return path


class MultiHostStack(Stack):
    """See the module docstring. ``kill_web_host`` / ``kill_worker`` take a host down with kill -9."""

    def __init__(self, base_dir: str, *, web_hosts: int = 2, worker_hosts: int = 2, gunicorn_workers: int = 2,
                 **kwargs):
        kwargs.setdefault("db_type", "mariadb")
        super().__init__(base_dir, rq_workers=worker_hosts, web_workers=gunicorn_workers, **kwargs)
        self.web_host_count = web_hosts
        self.web_hosts: list[Proc] = []
        self.web_host_urls: dict[str, str] = {}
        self.worker_command: list[str] | None = None
        self.bench_name = os.path.basename(self.base_dir)
        self.config_path = os.path.join(self.base_dir, "config")
        self.nginx_prefix = os.path.join(self.base_dir, "nginx")

    # ------------------------------------------------------------------ the operator's commands
    def setup(self, *args: str) -> str:
        """``medgrid-runtime --sites-path SITES setup ARGS`` (what an operator runs on a host)."""
        result = subprocess.run([RUNTIME, "--sites-path", self.sites_path, "setup", *args], cwd=ROOT, env=self.env(),
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise StackError(f"setup {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def _programs(self) -> configparser.ConfigParser:
        self.setup("supervisor", "--yes", "--user", getpass.getuser())
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(os.path.join(self.config_path, "supervisor.conf"))
        return parser

    # ------------------------------------------------------------------ web hosts and nginx
    def _start_web(self) -> None:
        programs = self._programs()
        web_command = shlex.split(programs[f"program:{self.bench_name}-web"]["command"])
        self.worker_command = shlex.split(programs[f"program:{self.bench_name}-short-worker"]["command"])
        ports = [free_port() for _ in range(self.web_host_count)]
        for index, port in enumerate(ports):
            name = f"web-{chr(ord('a') + index)}"
            args = _with_option(_with_option(web_command, "-b", f"127.0.0.1:{port}"), "-w", str(self.web_workers))
            proc = Proc(name, args, self._log(name), env=self.env())
            self.procs[name] = proc
            self.web_hosts.append(proc)
            self.web_host_urls[name] = f"http://127.0.0.1:{port}"
        upstreams = [arg for port in ports for arg in ("--upstream", f"127.0.0.1:{port}")]
        self.setup("nginx", "--yes", "--port", str(self.web_port), *upstreams)
        main = write_nginx_main_conf(self.nginx_prefix, os.path.join(self.config_path, "nginx.conf"))
        self.procs["nginx"] = Proc("nginx", [NGINX, "-p", self.nginx_prefix, "-c", main, "-e", "stderr",
                                             "-g", "daemon off;"], self._log("nginx"), env=self.env())

        for proc in self.web_hosts:
            url = self.web_host_urls[proc.name]

            def up(proc=proc, url=url):
                if not proc.alive():
                    raise StackError(f"{proc.name} exited:\n{proc.tail()}")
                return self.http.get(f"{url}/api/method/ping", timeout=2).ok
            wait_until(up, timeout=60, interval=0.3, what=f"web host {proc.name}")

        def nginx_up():
            if not self.procs["nginx"].alive():
                raise StackError(f"nginx exited:\n{self.procs['nginx'].tail()}")
            return self.http.get(f"{self.url}/api/method/ping", timeout=2).ok
        wait_until(nginx_up, timeout=30, interval=0.2, what="nginx in front of the web hosts")

    def kill_web_host(self, proc: Proc) -> None:
        """kill -9 a web host (gunicorn master and workers): a machine that dies mid-request."""
        proc.kill()
        self.web_hosts.remove(proc)

    # ------------------------------------------------------------------ worker hosts
    def start_worker(self) -> Proc:
        if not self.worker_command:
            raise StackError("the worker command comes from setup supervisor, written when the web starts")
        self._worker_seq += 1
        name = f"worker-host-{self._worker_seq}"
        proc = Proc(name, list(self.worker_command), self._log(name), env=self.env())
        self.workers.append(proc)
        return proc

    # ------------------------------------------------------------------ logs
    _JOB_START = re.compile(r":short: frappe\.utils\.background_jobs\.execute_job\(.*'dispatch': '([^']+)'")

    def current_dispatch(self, name: str) -> str | None:
        """The dispatch of the last send job a worker host started (RQ logs a line as it starts a job)."""
        last = None
        with open(self._log(name), encoding="utf-8", errors="replace") as f:
            for line in f:
                match = self._JOB_START.search(line)
                if match:
                    last = match.group(1)
        return last

    def access_lines(self, name: str, pattern: str) -> int:
        """How many lines of a process's log match ``pattern`` (a web host's access log is its stdout)."""
        path = self._log(name)
        regex = re.compile(pattern)
        with open(path, encoding="utf-8", errors="replace") as f:
            return sum(1 for line in f if regex.search(line))


def _with_option(args: list[str], option: str, value: str) -> list[str]:
    """``args`` with ``option``'s value replaced (each host of the same bench listens on its own port)."""
    out = list(args)
    index = out.index(option)
    out[index + 1] = value
    return out


__all__ = ["MultiHostStack", "write_nginx_main_conf", "NGINX", "PYTHON", "SITE"]
