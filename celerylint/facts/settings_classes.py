"""Settings classes that export themselves into a settings module.

readthedocs keeps its Django settings as class attributes and properties, and ends
each settings module with `DockerBaseSettings.load_settings(__name__)`: a classmethod
that copies every upper-case member of an instance (properties evaluated) into the
module it is handed. Such a method is recognized by what it does, not by its name.
"""

from __future__ import annotations

import ast

# What enumerates an object's members: `inspect.getmembers(self)`, `dir(cls)`,
# `vars(cls)`.
_MEMBER_LISTERS = frozenset({"getmembers", "dir", "vars"})


def exporters(cls: ast.ClassDef) -> tuple[str, ...]:
    """The classmethods of `cls` that copy its upper-case members into another object:
    each enumerates the members, keeps the upper-case names and calls `setattr`."""
    found = []
    for method in cls.body:
        if not isinstance(method, ast.FunctionDef):
            continue
        is_classmethod = any(
            isinstance(d, ast.Name) and d.id == "classmethod" for d in method.decorator_list
        )
        if is_classmethod and _copies_upper_members(method):
            found.append(method.name)
    return tuple(found)


def _copies_upper_members(method: ast.FunctionDef) -> bool:
    lists = filters = sets = False
    for node in ast.walk(method):
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            lists = True
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        lists |= name in _MEMBER_LISTERS
        filters |= isinstance(func, ast.Attribute) and name == "isupper"
        sets |= isinstance(func, ast.Name) and name == "setattr"
    return lists and filters and sets
