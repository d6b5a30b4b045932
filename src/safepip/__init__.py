"""safepip: a drop-in pip that sends installs on externally managed Pythons where they belong."""

__version__ = "0.1.0"
