"""Schema extensions: error codes and request limits."""
