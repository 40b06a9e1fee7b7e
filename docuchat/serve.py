"""The production web server: uvicorn, with uvloop and httptools, serving docuchat.asgi.

    python -m docuchat.serve [--host 0.0.0.0] [--port 8000] [--workers 1]

Chosen by measurement against granian and daphne (docs/deploy.md "Choosing the server"). Every
flag lives here, so the Dockerfile, compose, `./dev run --processes N` and the tests all serve
the same way:
- the proxy headers are left to Django (TRUSTED_PROXIES, docuchat/lib/client_ip.py), so that one
  setting decides whom to believe;
- WebSocket messages are capped at WS_MAX_MESSAGE_KB (a chat message is at most a few KB);
- request bodies are capped per route by docuchat.lib.body_limit, in the application, so the cap
  holds with or without a proxy in front.
"""

import argparse
import os
from pathlib import Path

import uvicorn

from docuchat.lib import envcheck


def options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))  # noqa: S104 (a container)
    parser.add_argument("--port", type=int, default=envcheck.positive_int("PORT", default=8000))
    parser.add_argument(
        "--workers",
        type=int,
        default=envcheck.positive_int("WEB_CONCURRENCY", default=1),
        help="processes sharing the port (WEB_CONCURRENCY); with several, REDIS_URL should be set",
    )
    parser.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    return parser.parse_args()


def code_dirs() -> list[str]:
    """The project's packages and templates: what --reload watches (never DATA_DIR or .venv)."""
    base = Path(__file__).resolve().parent.parent
    return sorted(str(d) for d in base.iterdir() if (d / "__init__.py").exists() or d.name == "templates")


def main() -> None:
    args = options()
    uvicorn.run(
        "docuchat.asgi:application",
        host=args.host,
        port=args.port,
        workers=None if args.reload else args.workers,
        reload=args.reload,
        reload_dirs=code_dirs() if args.reload else None,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=envcheck.positive_int("WS_MAX_MESSAGE_KB", default=64) * 1024,
        # Answers go out as thousands of small fragments: compressing each one cost 16% of the
        # process's time in the 200-chat burst (py-spy), for a few bytes saved per fragment.
        ws_per_message_deflate=False,
        lifespan="off",  # Channels' router has no lifespan handler
        proxy_headers=False,
        server_header=False,
        timeout_keep_alive=envcheck.positive_int("KEEP_ALIVE_SECONDS", default=20),
        timeout_graceful_shutdown=envcheck.positive_int("GRACEFUL_SHUTDOWN_SECONDS", default=20),
        access_log=envcheck.strict_bool("ACCESS_LOG", default=True),
    )


if __name__ == "__main__":
    main()
