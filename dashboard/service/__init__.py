"""The staff side's service layer. Imports no web framework."""
