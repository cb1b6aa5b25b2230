"""Rasa input channels of the project (media files, web chat, Telegram)."""

from bot import rasa_patches

rasa_patches.apply()   # Rasa imports the channels in the server process (bot/rasa_patches.py)
