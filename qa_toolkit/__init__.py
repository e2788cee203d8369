"""qa_toolkit: review and quality assurance for customer-support conversations."""

__version__ = "0.1.0"
