"""What the bot says: Indonesian templates, labels, program facts and formatting helpers."""
