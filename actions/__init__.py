"""Custom actions of the assistant, one module per flow (see each module's docstring).

When the action server is started by `coach run` (``COACH_WARM_UP=1``), the position
tables (and the major-check indexes and knowledge topics) are loaded and compiled in the
background at start-up, so that the first student asking "我能报哪些岗位" does not wait for it.
"""

import logging
import os
import threading

logger = logging.getLogger(__name__)


def _warm_up() -> None:
    try:
        from bot.db import upgrade
        from bot.positions import api

        upgrade()
        for exam in api.list_exams():
            api.evaluation_for({}, exam["exam"], exam["year"])
        from bot.positions import major_check

        major_check.warm()
        from bot import knowledge_base

        knowledge_base.topics()
        logger.info("position tables and knowledge topics loaded")
    except Exception as exc:  # the actions still work, only the first check is slower
        logger.warning("warm-up skipped: %s", exc.__class__.__name__)


if os.environ.get("COACH_WARM_UP") == "1":
    threading.Thread(target=_warm_up, name="coach-warm-up", daemon=True).start()
