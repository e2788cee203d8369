"""Page: trends (managers)."""

from qa_toolkit.app.trends_view import render

render()
