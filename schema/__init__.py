"""The taxonomy and the JSON Schema, packaged as ``postmortem_kit.schema``.

They live at the top of the repository so people find them; the package maps
this folder in (see ``pyproject.toml``) so the installed toolkit carries them.
"""
