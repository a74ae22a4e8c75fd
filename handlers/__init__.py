"""Channel-agnostic conversation logic. Nothing here imports a platform library."""
