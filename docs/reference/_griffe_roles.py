"""A griffe extension for the reference (mkdocs.yml: the python handler's ``extensions``).

The docstrings use Sphinx roles (``:class:`History```, ``:func:`~layerwise.fit```), which
Markdown shows as they are typed. This shows each as code: ```History```, ```fit``` (with
``~``, the last part of the name only, as Sphinx does).
"""

from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj):`(~?)([^`]+)`")


def _code(match: re.Match) -> str:
    short, target = match.group(1), match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRolesAsCode(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
