"""The running app in headless Chromium (Debian's chromium + Playwright from PyPI): every page opens, one
conversation is reviewed end to end, script and HTML in a customer's message show as text, and a screenshot
of each page goes to var/screenshots/. Skipped cleanly when chromium or playwright is not there."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from store_builder import conversation_records, replies_for, scorecard, seed_results, write_scorecards

from qa_toolkit.cli import app_command
from qa_toolkit.db import results
from qa_toolkit.db.engine import get_engine
from qa_toolkit.pipeline import import_files
from qa_toolkit.rules.base import Flag

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM = os.environ.get("QA_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
HOSTILE_TEXT = f"Hi, my parcel never came. {SCRIPT} and {IMG} please look at it."
HOSTILE_SUBJECT = "<b>Parcel</b> <img src=x onerror=alert(3)>"
REVIEWER = "Browser Tester"
TIMEOUT = 60_000  # ms; the machines running CI are shared and sometimes slow

if not Path(CHROMIUM).is_file():
    pytest.skip(f"chromium not found at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


# --------------------------------------------------------------------------- the store and the server


def write_store(folder: Path) -> tuple[str, int]:
    """A small store: 8 conversations, c-1 with script and HTML in its first customer message and subject,
    scored so that c-1 is the most severe in the queue. Returns (database URL, store id of c-1)."""
    records = conversation_records(8, hostile=False)
    records[0]["messages"][0]["text"] = HOSTILE_TEXT
    records[0]["subject"] = HOSTILE_SUBJECT
    path = folder / "convs.jsonl"
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    url = f"sqlite:///{folder / 'browser.db'}"
    import_files([path], db=url, parallel=False)
    engine = get_engine(url)
    ids = seed_results(engine)
    cid = ids["c-1"]
    conv = next(c for c in results.load_conversations(engine, ids=[cid]))
    replies = replies_for(conv[2], 1)
    flags = [
        Flag(rule="slow_first_response.v1", score=0.97, reason="2 h to answer <i>a</i>", evidence=["1-4"]),
        Flag(rule="templated_apology.v1", score=0.6, reason="templated apology", evidence=["1-4"]),
    ]
    from qa_toolkit.metrics import compute_metrics
    from qa_toolkit.scorecard import apply_scorecard

    score = apply_scorecard(scorecard(), replies=replies, flags=flags, metrics=compute_metrics(conv[2].messages))
    results.save_results(
        engine,
        results=[
            results.ConversationResults(
                conversation_id=cid,
                content_hash=conv[1],
                replies=replies,
                flags=flags,
                score=score,
                model_versions={name: f"{name}-v1" for name in ("tone", "personalisation", "apology", "resolution")},
            )
        ],
    )
    engine.dispose()
    return url, cid


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit did not answer on {base}:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The app (the command `qa-toolkit app` runs) on a free port, on a store written for this test."""
    folder = tmp_path_factory.mktemp("browser")
    url, cid = write_store(folder)
    port = _free_port()
    env = {
        **os.environ,
        "QA_TOOLKIT_DB": url,
        "QA_SCORECARDS_DIR": str(write_scorecards(folder / "scorecards")),
    }
    log = folder / "streamlit.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(app_command(port=port, extra=[]), env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, log)
        yield {"base": base, "url": url, "cid": cid, "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (its own session) that records every dialog (alert, confirm ...) it is shown."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.dialogs = []  # type: ignore[attr-defined]

    def on_dialog(dialog: Any) -> None:
        pg.dialogs.append(dialog.message)  # type: ignore[attr-defined]
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    try:
        yield pg
    finally:
        context.close()


# --------------------------------------------------------------------------- helpers


SETTLED = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  const script = app.getAttribute('data-test-script-state');
  const conn = app.getAttribute('data-test-connection-state');
  return script !== 'running' && (conn === null || conn === 'CONNECTED')
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !!document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]');
}"""


STATE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return {script: app && app.getAttribute('data-test-script-state'),
          connection: app && app.getAttribute('data-test-connection-state'),
          status: !!document.querySelector('[data-testid="stStatusWidget"]'),
          elements: document.querySelectorAll(
            '[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]').length};
}"""


def settle(pg: Any) -> None:
    """Wait until Streamlit has finished the current run (twice, a moment apart: a run may start a rerun)."""
    for _ in range(2):
        pg.wait_for_timeout(300)
        try:
            pg.wait_for_function(SETTLED, timeout=TIMEOUT)
        except sync_api.TimeoutError:
            state = pg.evaluate(STATE)
            screenshot(pg, "failure-not-settled")
            raise AssertionError(f"the app did not settle at {pg.url}: {state}") from None


def no_exception(pg: Any) -> None:
    errors = pg.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def screenshot(pg: Any, name: str) -> Path:
    """A full screenshot of the page (the viewport made as tall as the content: Streamlit scrolls inside)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = pg.evaluate(
        """() => Math.max(...['stMain', 'stSidebarContent', 'stMainBlockContainer'].map(id => {
             const el = document.querySelector(`[data-testid="${id}"]`); return el ? el.scrollHeight : 0; }))"""
    )
    pg.set_viewport_size({"width": 1400, "height": max(1000, min(int(height) + 80, 8000))})
    pg.wait_for_timeout(400)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    pg.set_viewport_size({"width": 1400, "height": 1000})
    return path


def nav_links(pg: Any) -> list[tuple[str, str]]:
    """(title, href) of every page in the sidebar navigation."""
    links = pg.locator('[data-testid="stSidebarNav"] a')
    return [(links.nth(i).inner_text().strip(), links.nth(i).get_attribute("href")) for i in range(links.count())]


def slug(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")


def metric(pg: Any, label: str) -> str:
    box = pg.locator('[data-testid="stMetric"]').filter(has=pg.get_by_text(label, exact=True))
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def pick(pg: Any, select: Any, option_text: str | None = None, *, containing: str | None = None) -> str:
    """Choose an option of a Streamlit selectbox (by its exact text, or the first containing a string)."""
    combo = select.locator('input[role="combobox"]')
    (combo.first if combo.count() else select).click()
    options = pg.locator('[role="listbox"] [role="option"]')
    try:
        options.first.wait_for(timeout=3000)
    except sync_api.TimeoutError:  # the click only focused it: the arrow button opens the list
        select.locator('button[aria-haspopup="listbox"]').first.click()
        options.first.wait_for()
    chosen = options.filter(has_text=containing).first if containing else options.get_by_text(option_text, exact=True)
    text = chosen.inner_text().strip()
    chosen.click()
    return text


def selectbox(pg: Any, label: str) -> Any:
    return pg.locator('[data-testid="stSelectbox"]').filter(
        has=pg.locator('[data-testid="stWidgetLabel"]').get_by_text(label, exact=True)
    )


def selected(select: Any) -> str:
    """The text of a selectbox's current choice (a combobox input in recent Streamlit, baseweb before)."""
    combo = select.locator('input[role="combobox"]')
    if combo.count():
        return combo.first.input_value().strip()
    return select.locator('[data-baseweb="select"]').inner_text().strip()


def set_reviewer(pg: Any, name: str) -> None:
    box = pg.get_by_label("Your name (stored with every review)")
    box.fill(name)
    box.press("Enter")
    settle(pg)


# --------------------------------------------------------------------------- the tests


def test_every_page_opens(server: dict[str, Any], page: Any) -> None:
    """Every page in the navigation, reached by its sidebar link (one session: the reviewer's name and the
    open conversation are kept), renders without an exception; a screenshot of each."""
    page.goto(server["base"] + "/")
    settle(page)
    titles = [title for title, _ in nav_links(page)]
    assert "Review queue" in titles and "Conversation" in titles, titles
    set_reviewer(page, "Page Visitor")
    page.locator('[data-testid="stButton"]').get_by_role("button", name="Open", exact=True).click()
    settle(page)
    for title in titles:
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
        settle(page)
        no_exception(page)
        assert page.get_by_label("Your name (stored with every review)").input_value() == "Page Visitor"
        screenshot(page, f"page-{slug(title)}")
    assert page.dialogs == []


def test_review_one_conversation_end_to_end(server: dict[str, Any], page: Any) -> None:
    cid = server["cid"]
    page.goto(server["base"] + "/")
    settle(page)
    page.locator('[data-testid="stDataFrame"]').wait_for()
    waiting = int(metric(page, "Waiting"))
    assert metric(page, "Reviewed") == "0"

    # 1. pick a reviewer (kept in the session)
    set_reviewer(page, REVIEWER)

    # 2. open the most severe conversation from the queue: c-1, with the script in its subject shown as text
    pick_box = selectbox(page, "Conversation to review (or click a row)")
    assert selected(pick_box).startswith(f"#{cid} ")
    assert "<img src=x onerror=alert(3)>" in selected(pick_box)
    screenshot(page, "queue-before-review")
    page.locator('[data-testid="stButton"]').get_by_role("button", name="Open", exact=True).click()
    settle(page)
    page.get_by_role("heading", name=f"Conversation #{cid}").wait_for()
    no_exception(page)

    # 3. the customer's script and image are literal text: no element made of them, no dialog
    customer = page.locator(".qa-msg.qa-customer").first
    assert SCRIPT in customer.inner_text() and IMG in customer.inner_text()
    assert page.locator('[data-testid="stMain"] script').count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert "<img src=x onerror=alert(3)>" in page.locator('[data-testid="stMain"]').inner_text()
    assert "2 h to answer <i>a</i>" in page.locator('[data-testid="stMain"]').inner_text()
    assert page.dialogs == []
    screenshot(page, "conversation-before-review")

    # 4. confirm three labels, correct the tone, override one scorecard category, comment, mark done
    corrected = pick(page, selectbox(page, "tone").first, containing="(changed)")
    assert corrected.endswith("(changed)")
    pick(page, selectbox(page, "apology").last, "partly (50)")
    page.get_by_label("Comment on this reply").first.fill("Say when the parcel arrives <b>exactly</b>.")
    page.get_by_label("Comment on the conversation").fill("Good fix, templated apology. <script>alert(4)</script>")
    page.get_by_role("button", name="Save and mark done").click()
    settle(page)
    page.get_by_text("Review saved and marked done").wait_for()
    no_exception(page)
    main = page.locator('[data-testid="stMain"]').inner_text()
    assert "<script>alert(4)</script>" in main and "your review: done" in main
    assert page.dialogs == []
    screenshot(page, "conversation-after-review")

    # 5. stored with the reviewer, the reviewed score apart from the automatic one
    engine = get_engine(server["url"])
    view = results.load_conversation(engine, conversation_id=cid)
    assert view is not None
    review = view.review_by(REVIEWER)
    assert review is not None and review.status == "done" and review.finished_at is not None
    tone = review.labels[("1-4", "tone")]
    assert tone.reviewer_label != tone.model_label and tone.reviewer_label == corrected.split(" (")[0]
    assert review.labels[("1-4", "resolution")].reviewer_label == review.labels[("1-4", "resolution")].model_label
    assert review.categories["apology"].overridden and review.categories["apology"].reviewer_value == 50.0
    assert {(c.message_external_id, c.reviewer) for c in view.comments} == {("1-4", REVIEWER), (None, REVIEWER)}
    assert view.automatic is not None and [s.reviewer for s in view.reviewed] == [REVIEWER]
    engine.dispose()

    # 6. back in the queue, the conversation has left it
    page.get_by_role("button", name="Back to queue").click()
    settle(page)
    page.locator('[data-testid="stDataFrame"]').wait_for()
    assert metric(page, "Reviewed") == "1"
    assert int(metric(page, "Waiting")) == waiting - 1
    assert not selected(selectbox(page, "Conversation to review (or click a row)")).startswith(f"#{cid} ")
    screenshot(page, "queue-after-review")
    assert page.dialogs == []
