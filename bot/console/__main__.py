"""``python -m bot.console --port N [--host H]``: serves the counselor console.

Werkzeug's threaded server is enough for an agency's counselors; put a reverse proxy with
TLS in front of it (and set ``console.secure_cookies`` and ``console.behind_proxy``) when
the console is reached over a network. ``bot.console.wsgi:app`` serves any WSGI server.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from bot.config import settings


def main(argv=None) -> int:
    cfg = settings()
    console = cfg.get("console", {}) or {}
    parser = argparse.ArgumentParser(prog="python -m bot.console", description="Counselor console web server")
    parser.add_argument("--host", default=str(console.get("host") or "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(console.get("port") or 8080))
    args = parser.parse_args(argv)

    logging.basicConfig(level=str(cfg.get("log_level") or "INFO").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from bot.privacy import NoPersonalDataFilter

    for handler in logging.getLogger().handlers:
        handler.addFilter(NoPersonalDataFilter())
    logging.getLogger("alembic").setLevel(logging.WARNING)

    from bot.db import get_engine, upgrade

    try:
        upgrade()
    except Exception as exc:
        print(f"error: cannot prepare the case database ({exc.__class__.__name__}: {exc})", file=sys.stderr)
        return 2

    from werkzeug.serving import make_server

    from bot.console.app import create_app
    from bot.console.search import Indexer

    app = create_app()
    indexer = Indexer(get_engine(app.config["DATABASE_URL"]),
                      gaps_for=(app.config["DATABASE_URL"], app.config["AGENCY_ID"]))
    indexer.start()
    try:
        server = make_server(args.host, args.port, app, threaded=True)
    except (OSError, SystemExit) as exc:  # werkzeug exits itself when the port is taken
        reason = getattr(exc, "strerror", None) or "address in use or not allowed"
        print(f"error: cannot listen on {args.host}:{args.port} ({reason})", file=sys.stderr)
        indexer.stop()
        return 2

    def stop(*_):
        indexer.stop()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    logging.getLogger(__name__).info("console on http://%s:%d/", args.host, args.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
