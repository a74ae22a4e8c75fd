"""The staff side: a service layer without web imports, and its two faces (pages and JSON API)."""
