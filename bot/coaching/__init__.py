"""Library pieces of the coaching flows (no Rasa code): the interest test (:mod:`.riasec`),
the SWOT with market facts from the position engine (:mod:`.swot`), the questions to ask a
recruiting unit (:mod:`.questions`) and the personal career-planning report (:mod:`.report`).

Submodules are imported on demand (``from bot.coaching import riasec``) so that importing
the package stays cheap.
"""

__all__ = ["riasec", "swot", "questions", "report", "fonts"]
