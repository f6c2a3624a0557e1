"""Listening tests: study files, SQLite store, balanced assignment, HTTP routes, analysis and a CLI.

``python -m evaluation.listening --help`` lists the commands; the README shows a study file.
"""
