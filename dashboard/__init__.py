"""The staff side: a service layer without web imports (`dashboard.service`) and its two thin
faces, the JSON API (`dashboard.api`) and the Jinja2 pages (`dashboard.web`).

It sits below the running app and imports nothing of `bot/`: the app builds the one `Backoffice`
and `Outreach` of the process and mounts both faces (`bot/app.py`), passing in everything they
need, the catalogue of channels included.
"""
