"""Page: import an export (upload, progress, errors by line, the summary; optionally score and flag)."""

from qa_toolkit.app.import_view import render

render()
