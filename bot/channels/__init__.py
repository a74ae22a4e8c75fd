"""Channel adapters: each turns platform events into `Inbound` and `Reply` payloads into calls."""

from bot.channels.aiogram_lean import install

install()  # before any adapter imports aiogram: see aiogram_lean
