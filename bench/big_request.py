"""A 1,000 MB request body against a real server process: what it reads, and its memory.

Three requests, each 1,000 MB: an anonymous sign-in POST declaring its length, the same body
streamed without a length (chunked), and the same streamed to the upload address. For each: the
answer, how much of the body the client got out before it, how long that took, and the server's
peak resident memory (VmHWM) before and after. `--server daphne` measures the server before.

    .venv/bin/python bench/big_request.py [--server uvicorn|daphne] [--megabytes 1000]
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import retrieval_data

parser = argparse.ArgumentParser()
parser.add_argument("--server", default="uvicorn")
parser.add_argument("--megabytes", type=int, default=1000)
ARGS = parser.parse_args()
retrieval_data.setup(100_000)

from docuchat.testing import peak_rss_mb, send_oversized, start_live_app, stop_live_app  # noqa: E402

MB = 1024 * 1024


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="big-request-") as tmp:
        app = start_live_app(
            Path(tmp), extra_env={"DEBUG": "false", "ACCESS_LOG": "false"}, server=ARGS.server
        )
        pid = app.processes[0].pid
        try:
            print(f"== {ARGS.megabytes:,} MB bodies, one {ARGS.server} process (peak RSS at start "
                  f"{peak_rss_mb(pid):.0f} MB) ==")  # fmt: skip
            for label, path, chunked in (
                ("sign-in, Content-Length", "/login/", False),
                ("sign-in, chunked", "/login/", True),
                ("upload, chunked", "/t/bench-000/documents/", True),
            ):
                r = send_oversized(app.url, path, ARGS.megabytes * MB, chunked=chunked, server_pid=pid)
                print(f"{label:<26} answer {r.status!s:<4} after {r.sent / MB:7.0f} MB sent, "
                      f"{r.seconds:6.2f} s; server peak RSS {r.peak_rss_mb:.0f} MB")  # fmt: skip
        finally:
            stop_live_app(app)


if __name__ == "__main__":
    main()
