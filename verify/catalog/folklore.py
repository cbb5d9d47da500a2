"""Claims: folklore (being written)."""
