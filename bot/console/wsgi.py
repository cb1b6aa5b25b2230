"""WSGI entry point for a production server: ``bot.console.wsgi:app``.

Starts the background search indexer (and the knowledge-gaps aggregate of the agency) in the
serving process. Migrate the database first
(``coach run`` does, or ``python -c "from bot.db import upgrade; upgrade()"``).
"""

from bot.console.app import create_app
from bot.console.search import Indexer
from bot.db import get_engine

app = create_app()
_indexer = Indexer(get_engine(app.config["DATABASE_URL"]),
                   gaps_for=(app.config["DATABASE_URL"], app.config["AGENCY_ID"]))
_indexer.start()
