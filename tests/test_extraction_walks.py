"""The one traversal extraction shares (`facts.walk.TreeIndex`), against plain walks of `ast`,
and what extraction skips because of it."""

from __future__ import annotations

import ast
import inspect
import typing
from typing import Optional, Union

import pytest

from celerylint.facts import extract_source
from celerylint.facts.walk import TreeIndex, calls_under, remembered_walks, walk_all, walk_own_scope

# Contexts and operators: no analysis looks at them, so the walks leave them out.
_SKIPPED = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]

SAMPLE = """
from __future__ import annotations
import os, importlib as il
from . import x as y
@deco(lambda a=f(): g(a))
class A(B, metaclass=M(k())):
    attr = h()
    def m(self, x=d(), *, y: t() = None, z, **kw) -> r():
        z = [q(i) for i in w() if c(i)]
        def inner(): return {**p(), "k": v(), **o.q()}
        lam = lambda u=e(): u.s(lambda: deep())
        async def ai():
            async with a() as b:
                await b.c()
            async for i in it(): pass
        global G
        from .helpers import helper as hh
        class Local:
            import json
        try:
            pass
        except E() as exc:
            raise X() from exc
        else:
            o()
        finally:
            fin()
        match s():
            case {"k": kk, **rest} if guard():
                pass
            case [1, *others]:
                pass
            case P(a=1) as pp:
                pass
        return -x + (yield f"{fmt()!r:>{w()}}")
    class Inner:
        def n(self): return not self.a() and b() or c() < d() <= e()
print(*args, **kwargs)
x = a if b() else c()
del x[d()]
assert f(), g()
with open() as fh, other():
    pass
while cond():
    break
for a, b in pairs():
    continue
else:
    done()
T = type("T", (), {})
"""


def _reference_walk(roots: list[ast.AST], into_scopes: bool) -> list[ast.AST]:
    """The walk extraction used before: `ast`'s children, depth first, the last child first."""
    out: list[ast.AST] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        if isinstance(node, _SKIPPED):
            continue
        out.append(node)
        if into_scopes or not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))
    return out


def _reference_owners(
    tree: ast.Module, classes: tuple[type, ...]
) -> list[tuple[ast.AST, Optional[Function]]]:
    """Every node of `classes`, with the function or lambda whose body holds it."""
    found: list[tuple[ast.AST, Optional[Function]]] = []
    stack: list[tuple[ast.AST, Optional[Function]]] = [(tree, None)]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, classes):
            found.append((node, owner))
        inner = owner
        body: list[ast.AST] = []
        if isinstance(node, _FUNCTIONS):
            inner = node
            body = list(node.body) if isinstance(node.body, list) else [node.body]
        for child in ast.iter_child_nodes(node):
            stack.append((child, inner if any(child is part for part in body) else owner))
    return found


def _sources() -> list[str]:
    modules = [ast, typing, inspect, pytest]
    return [SAMPLE, *(inspect.getsource(module) for module in modules)]


@pytest.mark.parametrize("source", _sources(), ids=["sample", "ast", "typing", "inspect", "pytest"])
def test_one_traversal_gives_what_separate_walks_gave(source: str) -> None:
    tree = ast.parse(source)
    with remembered_walks():
        index = TreeIndex(tree)
        assert index.nodes == _reference_walk([tree], into_scopes=True)
        assert walk_all(tree) == index.nodes
        assert index.calls == _reference_owners(tree, (ast.Call,))
        functions = [node for node in index.nodes if isinstance(node, _FUNCTIONS)]
        assert index.functions == functions
        imports = _reference_owners(tree, (ast.Import, ast.ImportFrom))
        assert index.imports == imports
        assert index.importing == {id(function) for _, function in imports if function}
        assert index.statement_calls == {
            id(node.value)
            for node in index.nodes
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
        }
        assert walk_own_scope(tree.body) == _reference_walk(list(tree.body), into_scopes=False)
        for function in functions:
            if isinstance(function, ast.Lambda):
                expected = _reference_walk([function.body], into_scopes=False)
            else:
                expected = _reference_walk(list(function.body), into_scopes=False)
                assert walk_own_scope(function.body) is index.own_nodes(function)
            assert index.own_nodes(function) == expected
    for node in index.nodes:
        if isinstance(node, ast.stmt):
            expected_calls = [n for n in _reference_walk([node], True) if isinstance(n, ast.Call)]
            assert calls_under([node]) == expected_calls


def test_without_remembered_walks_a_body_is_walked_when_asked() -> None:
    tree = ast.parse(SAMPLE)
    index = TreeIndex(tree)
    method = next(node for node in index.functions if getattr(node, "name", "") == "m")
    assert isinstance(method, ast.FunctionDef)
    assert index.own_nodes(method) == _reference_walk(list(method.body), into_scopes=False)


def test_calls_in_functions_are_recorded_whatever_they_are_called_by() -> None:
    """Discovery walks only the functions with a call it may record: one by the name of a
    dynamic import or a task-naming method, as an attribute, a name, or an import alias."""
    facts = extract_source(
        b"import importlib\n"
        b"from importlib import import_module as load\n"
        b"from celery import signature as sig\n"
        b"from proj.celery import app\n"
        b"def plain():\n"
        b"    helper(1)\n"
        b"def by_attribute():\n"
        b"    importlib.import_module('a')\n"
        b"def by_module_alias():\n"
        b"    load('b')\n"
        b"def by_local_alias():\n"
        b"    from django.utils.module_loading import import_string as imp\n"
        b"    imp('c')\n"
        b"def nested():\n"
        b"    def inner():\n"
        b"        return lambda: __import__('d')\n"
        b"    return inner\n"
        b"class Jobs:\n"
        b"    def send(self):\n"
        b"        self.app.send_task('proj.e')\n"
        b"    def sign(self):\n"
        b"        return sig('proj.f')\n"
        b"    def discover(self):\n"
        b"        app.autodiscover_tasks(['g'])\n",
        "m",
        False,
    )
    discovery = facts.discovery
    dynamic = [(d.module, d.function) for d in discovery.dynamic_imports]
    assert dynamic == [
        ("a", "by_attribute"),
        ("b", "by_module_alias"),
        ("c", "by_local_alias"),
        ("d", "nested"),
    ]
    assert [(n.method, n.receiver, n.name) for n in discovery.task_names] == [
        ("send_task", None, "proj.e"),
        ("signature", "celery.signature", "proj.f"),
    ]
    assert [(a.receiver, a.function) for a in discovery.autodiscovers] == [
        ("proj.celery.app", "Jobs.discover")
    ]
    imports = [(i.module, i.names, i.function) for i in discovery.imports]
    assert imports == [
        ("importlib", (), None),
        ("importlib", ("import_module",), None),
        ("celery", ("signature",), None),
        ("proj.celery", ("app",), None),
        ("django.utils.module_loading", ("import_string",), "by_local_alias"),
    ]


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\n",
        "CELERY_RESULT_BACKEND = 'redis://'\n",
        "app.conf.Result_Backend = None\n",
        "# see result-backend docs\n",
        "resultbackend = 1\n",
        "x = 'é'\nresult_BACKEND = 1\n",
        "x = 'é'\nresult backend\n",
        # Case folding beyond ASCII: the Kelvin sign is a `k` to `re.IGNORECASE`.
        "result_bac\u212aend = 1\n",
    ],
)
def test_a_text_naming_a_result_backend_is_told_as_the_pattern_tells(source: str) -> None:
    """The quick test in front of `names_result_backend`: a lower-case copy of an ASCII
    text, the case-insensitive pattern for the others."""
    from celerylint.facts.python import _BACKEND_TEXT, _names_backend

    assert _names_backend(source) is (_BACKEND_TEXT.search(source) is not None)
