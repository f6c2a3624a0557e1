"""Load and crash benchmark of the listening platform: ``python -m evaluation.listening.loadtest``.

Simulated participants take a study of 0.5 s clips through the same HTTP interface the page uses
(session, consent, state, play/ended reports, answer), against the app started on 127.0.0.1 in a
subprocess. Midway the server is killed with SIGKILL and restarted; participants retry and resume.
At the end the database is read directly: every acknowledged answer must be stored exactly once.

Modules: ``http`` (a lean keep-alive client), ``participant`` (one simulated listener), ``server``
(study, start, kill, restart), ``conversions`` (the converter load of ``--mode mixed``), ``verify``
(acknowledged vs stored), ``__main__`` (the command line and the printed report).
"""
