"""What the bot says, by language (Indonesian the default and the fallback): templates, labels,
the words people type; and the facts that are the same in every language (program rates,
branches, time zones, regions); formatting helpers."""
