"""Point Django at a separate benchmark database on the embedded server (or BENCH_DATABASE_URL)."""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def setup_django(database: str) -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "docuchat.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("EMAIL_TO_LOGS_ALLOWED", "true")  # no real mail from a benchmark
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    # Production-like: DEBUG off, so Django does not keep every query in memory.
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    elif not os.environ.get("DATABASE_URL"):
        from docuchat.lib.embedded_pg import embedded_database_url

        data_dir = Path(os.environ.get("DATA_DIR", BASE_DIR / "data")).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = embedded_database_url(data_dir / "pg", database)
    import django

    django.setup()
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(label: str, values: list[float], note: str = "", digits: int = 1) -> None:
    """One line: p50 and p95 in milliseconds, and a note (the target, or a count)."""
    p50, p95 = percentile(values, 50), percentile(values, 95)
    print(f"{label:<28} p50 {p50:8.{digits}f} ms   p95 {p95:8.{digits}f} ms   {note}")
