"""The Streamlit scorecard app's pages (UI only: they call db.results, review and scorecard functions).

``app_streamlit.py`` at the repository root is the entry; ``pages/`` holds one small script per page."""

from __future__ import annotations

from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "pages"
QUEUE_PAGE = PAGES_DIR / "review_queue.py"
CONVERSATION_PAGE = PAGES_DIR / "conversation.py"
