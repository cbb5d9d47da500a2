"""Claims: rychlik (being written)."""
