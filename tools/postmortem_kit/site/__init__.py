"""The site: aggregation, pages as Markdown, charts; `mkdocs/` adapts them to MkDocs."""
