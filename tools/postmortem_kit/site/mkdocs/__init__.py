"""The MkDocs plugin: a thin adapter that hands the site's pages to MkDocs."""
