"""The sanitiser's first import path, kept for builders that call
`postmortem_kit.sanitize.clean_html` (README, SECURITY.md); it lives in the site."""

from __future__ import annotations

from postmortem_kit.site.sanitize import clean_html

__all__ = ["clean_html"]
