"""The plugin's first import path, kept for mkdocs.yml files and code that name it."""

from __future__ import annotations

from postmortem_kit.site.mkdocs.plugin import PostmortemsPlugin

__all__ = ["PostmortemsPlugin"]
