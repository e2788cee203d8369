"""The Streamlit scorecard app: `streamlit run app_streamlit.py` (the database: $QA_TOOLKIT_DB, else
./qa_toolkit.db). With an [auth] section in .streamlit/secrets.toml reviewers sign in first. The sidebar holds
the reviewer's name (or the signed-in identity) and the shared filters; the pages live in qa_toolkit/app/
(docs/app.md)."""

import streamlit as st

from qa_toolkit.app import CONVERSATION_PAGE, PAGES_DIR, QUEUE_PAGE, common

st.set_page_config(page_title="qa_toolkit", layout="wide")
if not common.require_sign_in():  # only when login is switched on (docs/app.md)
    st.stop()
common.sidebar()
pages = [
    st.Page(QUEUE_PAGE, title="Review queue", url_path="queue", default=True),
    st.Page(CONVERSATION_PAGE, title="Conversation", url_path="conversation"),
    st.Page(PAGES_DIR / "coaching.py", title="Coaching sets", url_path="coaching"),
    st.Page(PAGES_DIR / "trends.py", title="Trends", url_path="trends"),
    st.Page(PAGES_DIR / "agreement.py", title="Agreement", url_path="agreement"),
    st.Page(PAGES_DIR / "import_page.py", title="Import", url_path="import"),
    st.Page(PAGES_DIR / "admin.py", title="Admin", url_path="admin"),
]
st.navigation(pages).run()
