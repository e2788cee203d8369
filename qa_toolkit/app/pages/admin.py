"""Page: admin (retrain the classifiers with reviewers' labels; switch models, or go back)."""

from qa_toolkit.app.admin_view import render

render()
