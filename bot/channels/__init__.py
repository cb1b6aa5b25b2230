"""Rasa input channels of the project (media files, web chat, Telegram)."""
