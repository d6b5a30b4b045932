"""safepip's verbs (``run``, ``which``, ``doctor``, ``explain``, ``shell-init``...), one module each,
and :mod:`safepip.commands.pip`, the default verb: a pip command line.

Each exposes ``main(args, session) -> int`` and is registered in :data:`safepip.cli.VERBS`.
They resolve through the same code as the pip flow (:func:`safepip.pipeline.resolve`);
none of them decides anything on its own.
"""
