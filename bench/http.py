"""Verify requests/s through gunicorn (2 workers) beside the in-process rate, in the same run.

Sets up a throwaway instance (``passport init``, one credential issued by ``passport issue``),
then:

1. **In-process**: the same credential posted to ``/api/v1/verify`` through the app's test
   client in this process, one thread — the whole request path without sockets or a server.
2. **Through gunicorn**: ``gunicorn.conf.py`` with 2 workers and ``PASSPORT_RATE_LIMITS=off`` on
   a loopback port, driven by a bounded closed-loop load generator (threads with
   :mod:`http.client`; gunicorn's sync workers close each connection, the client reopens it).
   The figure is requests/s at saturation; "per core" divides it by the cores the workers can
   use (``min(workers, cpu_count)``) and compares with the in-process rate. The load generator
   runs on the same machine and takes CPU from the workers, so the ratio is a lower bound.
3. **Latency at half load**: an open-loop generator paced at half the saturated rate; p50/p99
   of the request latencies.
4. **Worker RSS**: ``VmRSS`` of each worker from ``/proc/<pid>/status`` after the runs.

Targets (issue 8): ≥ 0.6x in-process per core, worker RSS ≤ 150 MB.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]
WORKERS = 2
TARGET_RATIO, TARGET_RSS_MB = 0.6, 150.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env(instance: Path, port: int) -> dict[str, str]:
    env = {
        **os.environ,
        "PASSPORT_ENV": "production",
        "PASSPORT_INSTANCE_PATH": str(instance),
        "PASSPORT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PASSPORT_SECRET_KEY": "bench-secret-key-not-for-production",
        "PASSPORT_KEY_PASSPHRASE": "bench key-store passphrase",
        "PASSPORT_RATE_LIMITS": "off",
        "PASSPORT_LOG_FORMAT": "json",
        "PASSPORT_WORKERS": str(WORKERS),
        "PORT": str(port),
    }
    for name in ("PASSPORT_DATABASE_URL", "PASSPORT_REDIS_URL"):
        env.pop(name, None)  # a SQLite file in the throwaway instance, memory rate limits
    return env


def _passport(env: dict[str, str], *args: str) -> str:
    command = str(Path(sys.executable).parent / "passport")
    done = subprocess.run(
        [command, *args], env=env, capture_output=True, text=True, timeout=180, check=True
    )
    return done.stdout


class _Client:
    """One keep-alive-capable connection; reopened when the server closes it."""

    def __init__(self, port: int, body: bytes) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.body = body

    def verify(self) -> float:
        start = time.perf_counter()
        self.connection.request(
            "POST", "/api/v1/verify", body=self.body, headers={"Content-Type": "application/json"}
        )
        response = self.connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"verify answered {response.status}")
        if response.will_close:
            self.connection.close()
        return time.perf_counter() - start


def _in_process_rate(env: dict[str, str], body: bytes, seconds: float) -> float:
    from passport.settings import Settings
    from passport.web import create_app

    app = create_app(Settings.from_env(env))
    try:
        client = app.test_client()
        for _ in range(20):  # warm caches (contexts, keys, status list)
            client.post("/api/v1/verify", data=body, content_type="application/json")
        done, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            response = client.post("/api/v1/verify", data=body, content_type="application/json")
            assert response.status_code == 200, response.get_json()
            done += 1
        return done / (time.perf_counter() - start)
    finally:
        app.extensions["passport"].engine.dispose()


def _saturated_rate(port: int, body: bytes, threads: int, seconds: float) -> float:
    counts = [0] * threads
    stop = time.perf_counter() + seconds

    def work(n: int) -> None:
        client = _Client(port, body)
        while time.perf_counter() < stop:
            client.verify()
            counts[n] += 1

    start = time.perf_counter()
    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


def _paced_latencies(port: int, body: bytes, rate: float, seconds: float) -> list[float]:
    """Open loop: request k is due at k/rate; latency counts from when it was due."""
    threads = 8
    total = max(threads, int(rate * seconds))
    latencies: list[float] = []
    lock = threading.Lock()
    next_k = iter(range(total))
    start = time.perf_counter() + 0.1

    def work() -> None:
        client = _Client(port, body)
        while True:
            with lock:
                k = next(next_k, None)
            if k is None:
                return
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            client.verify()
            with lock:
                latencies.append(time.perf_counter() - due)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of ``pids`` (``/proc/<pid>/stat`` fields 14 and 15)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def _wait_ready(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                connection.close()
                if len(_workers(server.pid)) == WORKERS:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready within 60 s")


def _wrk_rate(port: int, body: bytes, seconds: float, folder: Path) -> float | None:
    """Saturated requests/s measured by ``wrk`` (a C load generator: far less CPU taken from
    the workers than Python threads), or None when wrk is not installed."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    (folder / "body.json").write_bytes(body)
    script = folder / "verify.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.body = io.open("{folder / "body.json"}", "rb"):read("*a")\n'
    )
    done = subprocess.run(
        [
            wrk,
            "-t1",
            "-c4",
            f"-d{max(1, round(seconds))}s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}/api/v1/verify",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        raise RuntimeError(f"wrk saw failed requests:\n{done.stdout}")
    for line in done.stdout.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(f"wrk printed no rate:\n{done.stdout}\n{done.stderr}")


def run(*, seconds: float = 8.0, threads: int = 4) -> dict[str, Any]:
    """Run the HTTP benchmark, print its figures and return them."""
    with tempfile.TemporaryDirectory(prefix="passport-bench-http-") as folder:
        port = _free_port()
        env = _env(Path(folder) / "instance", port)
        _passport(env, "init")
        credential = _passport(
            env, "issue", "--achievement", "incident-response-l2", "--recipient", "b@bench.example"
        )
        body = json.dumps(json.loads(credential)).encode("utf-8")
        in_process = _in_process_rate(env, body, seconds)
        with (Path(folder) / "gunicorn.log").open("wb") as log:
            server = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "wsgi:app"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_ready(server, port)
                _saturated_rate(port, body, threads, 1.0)  # warm both workers
                pids = _workers(server.pid)
                cpu_before = _cpu_seconds(pids)
                rate = _saturated_rate(port, body, threads, seconds)
                worker_cpu = _cpu_seconds(pids) - cpu_before
                wrk_rate = _wrk_rate(port, body, seconds, Path(folder))
                latencies = _paced_latencies(port, body, rate / 2, seconds)
                rss = [_rss_mb(pid) for pid in _workers(server.pid)]
            finally:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=45)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
    cores = min(WORKERS, os.cpu_count() or 1)
    ratio = rate / cores / in_process
    # The same requests divided by the CPU the workers actually got (the load generator shares
    # the machine): what one core of workers does, without the generator's share.
    per_worker_cpu = rate * seconds / worker_cpu if worker_cpu > 0 else float("nan")
    quantiles = statistics.quantiles(latencies, n=100)
    figures = {
        "in_process_per_s": in_process,
        "http_per_s": rate,
        "cores": cores,
        "ratio_per_core": ratio,
        "per_worker_cpu_second": per_worker_cpu,
        "ratio_per_worker_cpu_second": per_worker_cpu / in_process,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "half_load_per_s": rate / 2,
        "worker_rss_mb": rss,
    }
    print(
        f"HTTP verify: gunicorn {WORKERS} workers (sync), {threads} client threads, "
        f"{seconds:g} s per phase, same credential (Data Integrity)"
    )
    print(f"  in-process (test client, 1 thread)  {in_process:8.1f} verify/s")
    print(f"  through gunicorn (saturated)        {rate:8.1f} verify/s")
    print(
        f"  per core ({cores} cores)                {rate / cores:8.1f} verify/s  "
        f"= {ratio:.2f}x in-process (target >= {TARGET_RATIO}x)"
    )
    print(
        f"  per worker CPU-second               {per_worker_cpu:8.1f} verify/s  "
        f"= {per_worker_cpu / in_process:.2f}x in-process (workers got {worker_cpu:.1f} CPU-s "
        f"of {cores * seconds:g})"
    )
    if wrk_rate is not None:
        figures["wrk_per_s"] = wrk_rate
        figures["wrk_ratio_per_core"] = wrk_rate / cores / in_process
        print(
            f"  through gunicorn, wrk (1 thread, 4 connections) {wrk_rate:8.1f} verify/s "
            f"= {wrk_rate / cores / in_process:.2f}x in-process per core "
            f"(target >= {TARGET_RATIO}x)"
        )
    else:
        print("  (install wrk for a load generator that takes less CPU from the workers)")
    print(
        f"  latency at half load ({rate / 2:.0f}/s)    p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms ({len(latencies)} requests)"
    )
    print(
        "  worker RSS                          "
        + ", ".join(f"{mb:.0f} MB" for mb in rss)
        + f" (target <= {TARGET_RSS_MB:g} MB)"
    )
    return figures
