"""Gathering facts: reads the command line, the interpreter, the project, the configuration; never decides, never refuses."""
