"""Which ASGI server should serve production? uvicorn, granian and daphne on the same work.

For each server, one process on this machine:
1. the upload request of a 24.3 MiB PDF (the ingestion benchmark's; median of 5), and the
   server's peak memory meanwhile;
2. the 200-chat burst of bench/chat_concurrency.py (a subprocess per server; its lines as they are).

The servers run in turns, `--rounds` times, so that a change in the machine's load shows up as a
difference between rounds rather than between servers.

    .venv/bin/python bench/servers.py [--servers uvicorn,granian,daphne] [--rounds 1] [--skip-chat]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
ENVIRON = dict(os.environ)  # before the upload half points DATABASE_URL at its own database


def upload_round(server: str, tmp: Path) -> str:
    import ingest

    from docuchat.testing import start_live_app, stop_live_app

    env = {
        "DATA_DIR": str(tmp / server),
        "OPENAI_API_KEY": "",
        "DEBUG": "false",
        "EMAIL_TO_LOGS_ALLOWED": "true",
        "ACCESS_LOG": "false",
    }
    app = start_live_app(tmp / server, extra_env=env, server=server)
    try:
        session = ingest.Session(app.url)
        times = [
            session.upload(f"{server}-{time.time()}-{i}.pdf", big)
            for i, big in enumerate(ingest.big_uploads())
        ]
        rss = peak_rss_mb(app.processes[0].pid)
    finally:
        stop_live_app(app)
    median = statistics.median(times) * 1000
    each = ", ".join(f"{t * 1000:.0f}" for t in times)
    return f"{server:<8} upload request 24.3 MiB: median {median:5.0f} ms ({each}); peak RSS {rss:.0f} MB"


def peak_rss_mb(pid: int) -> float:
    """The largest peak RSS of the server and its children (granian serves from a child)."""
    import ingest
    import psutil

    pids = [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]
    return max(ingest.peak_rss_mb(p) for p in pids)


def chat_round(server: str) -> str:
    out = subprocess.run(
        [sys.executable, str(BENCH / "chat_concurrency.py"), "--server", server],
        capture_output=True,
        text=True,
        check=False,
        cwd=BENCH.parent,
        env=ENVIRON,
    )
    lines = [line for line in out.stdout.splitlines() if line.strip() and not line.startswith("server logs")]
    return "\n".join(lines[-6:]) if out.returncode == 0 else f"{server}: failed\n{out.stdout}\n{out.stderr}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--servers", default="uvicorn,granian,daphne")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--skip-chat", action="store_true")
    args = parser.parse_args()
    servers = args.servers.split(",")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="docuchat-servers-") as name:
        import ingest

        ingest.setup_django(Path(name))
        for round_ in range(1, args.rounds + 1):
            print(f"\n== round {round_}: upload ==")
            for server in servers:
                print(upload_round(server, Path(name)), flush=True)
    if args.skip_chat:
        return
    for round_ in range(1, args.rounds + 1):
        print(f"\n== round {round_}: 200-chat burst ==")
        for server in servers:
            print(chat_round(server), flush=True)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
