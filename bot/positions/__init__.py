"""Position tables, eligibility and competition ratios (issue 3; see bot/positions/README.md).

Entry points: :mod:`bot.positions.api` (Python API for the dialogue's actions),
:mod:`bot.positions.cli` (``coach positions …``, ``coach import-positions``) and
:mod:`bot.positions.majors` (the major matcher).
"""
