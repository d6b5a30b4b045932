"""Remembered answers and routes: what the full path decided, stored for the front door to replay."""
