"""Page: agreement between the model and reviewers, and between reviewers."""

from qa_toolkit.app.agreement_view import render

render()
