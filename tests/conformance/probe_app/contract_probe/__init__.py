"""contract_probe: the throwaway app the HTTP contract recordings were made with, re-created for the
conformance suite. It only carries probe endpoints, doc_events loggers and two www pages."""

__version__ = "0.0.1"
