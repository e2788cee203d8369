"""Page: the review queue."""

from qa_toolkit.app.queue_view import render

render()
