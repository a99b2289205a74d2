"""HTTP blueprints: JSON API, public pages, well-known documents, and the web defences."""
