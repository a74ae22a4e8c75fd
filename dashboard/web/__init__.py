"""The staff pages under `/staff`: server-rendered Jinja2 over the `Backoffice` service layer.
`router.pages_router` assembles the page modules."""
