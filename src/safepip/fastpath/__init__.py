"""The no-op fast path: an install whose requirements are all satisfied, answered without pip, and remembered."""
