"""Channel adapters: each turns platform events into `Inbound` and `Reply` payloads into calls."""
