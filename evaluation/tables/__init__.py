"""Scoring scripts behind the result tables of one model or part (``python -m evaluation.tables.NAME``).

They score what ``models/`` makes and live here so that ``models/`` never imports ``evaluation/``
(tests/test_structure.py): parekh, alignsts, vae_style, ppg (model tables), vocoders (vocoder speed and
copy-synthesis quality), world_sts and guide (the WORLD converter's bench and guide-feature comparison),
corpus_stats (what a built corpus holds).
"""
