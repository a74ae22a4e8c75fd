"""Channel adapters: each turns platform events into `Inbound` and `Reply` payloads into calls.

A channel is a package here declaring `CHANNEL_TYPE` (see base.py), listed in registry.py; the
modules beside them (base, registry, text, cleaning) are what every channel shares.
"""
