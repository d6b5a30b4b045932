"""safepip's own verbs (``run``, ``which``, ``doctor``, ``explain``, ``shell-init``), one module each.

Each exposes ``main(args, environ) -> int`` and is registered in :data:`safepip.cli.VERBS`.
They gather facts and decide through the same code as the pip flow
(:func:`safepip.facts.gather.gather`, :meth:`safepip.facts.gather.Context.plan`,
:func:`safepip.act.flow.prepare`); none of them decides anything on its own.
"""
