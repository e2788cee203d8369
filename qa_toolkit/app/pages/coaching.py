"""Page: coaching sets (trainers)."""

from qa_toolkit.app.coaching_view import render

render()
