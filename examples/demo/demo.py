"""The quick start's demo: imports a package that safepip installed into .venv."""

import six

print("demo runs with six", six.__version__)
