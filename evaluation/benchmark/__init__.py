"""``python -m evaluation.benchmark``: every converter on a corpus split, the real-voice set or an outside
folder → a CSV (one row per item × system) and markdown tables of means with 95 % intervals and RTF.

Modules: ``items`` (what is scored), ``systems`` (converters and the ceiling/floor reference rows),
``scoring`` (the measures of one output), ``run`` (the loops), ``rtf``, ``table``; ``__main__`` the CLI.
"""
