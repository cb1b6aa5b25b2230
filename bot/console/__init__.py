"""The counselor console (issue 6): a separate web process, ``python -m bot.console``.

``bot.console.app.create_app`` builds the Flask application; ``bot.console.cli`` holds the
``coach users`` commands and ``coach cases purge``.
"""
