"""Claims: implementation (being written)."""
