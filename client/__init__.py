"""Annex's browser side, shipped with the package: ``annex.js``, the client every page imports.

Core serves it at ``/annex.js`` whatever ``site.static_dir`` is (a site's own file of that name
wins), so ``import … from '/annex.js'`` works on any site without copying it.
"""

from __future__ import annotations

from pathlib import Path

#: The folder of this package's files.
FILES = Path(__file__).resolve().parent
