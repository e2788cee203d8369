"""Page: one conversation, with the reviewer's form."""

from qa_toolkit.app.conversation_view import render

render()
