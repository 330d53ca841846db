"""Pages that show more than one feature: they call the flows (``app.flows``) and the features'
services, above both (issue 14: a page that shows two features calls a flow)."""
