"""How `Modules` finds a module key: by suffix, in a source root, in a package."""

from __future__ import annotations

from celerylint.model.namespace import Modules


def _modules(keys: list[str], roots: dict[str, str] | None = None) -> Modules:
    return Modules({key: f"/repo/{key}.py" for key in keys}, lambda module: None, roots=roots)


def test_an_unknown_root_is_tolerated_when_one_key_ends_so() -> None:
    modules = _modules(["src.proj.orders.tasks", "src.proj.billing.tasks", "src.proj.orders"])
    assert modules.find("orders.tasks") == "src.proj.orders.tasks"
    assert modules.find("proj.orders.tasks") == "src.proj.orders.tasks"
    assert modules.find("tasks") is None  # two keys end so: ambiguous
    assert modules.find("ers.tasks") is None  # a suffix of components, not of text
    assert modules.find("src.proj.orders.tasks") == "src.proj.orders.tasks"


def test_a_name_several_roots_define_resolves_in_the_asker_root() -> None:
    keys = [f"app.tasks@svc{i}" for i in range(4)] + [f"app.worker@svc{i}" for i in range(4)]
    roots = {key: key.split("@")[1] for key in keys}
    modules = _modules(keys, roots)
    for i in range(4):
        assert modules.find("app.tasks", f"app.worker@svc{i}") == f"app.tasks@svc{i}"
    assert modules.find("app.tasks") is None  # from nowhere: which one is not known


def test_children_are_the_keys_one_component_below() -> None:
    modules = _modules(
        ["proj.settings", "proj.settings.prod", "proj.settings.dev", "proj.settings.dev.x"]
    )
    assert modules.children("proj.settings") == ["proj.settings.dev", "proj.settings.prod"]
    assert modules.children("proj.other") == []


def test_a_name_through_the_directories_above_a_source_root_is_its_module() -> None:
    """codabench: `src/` and `src/apps/` are both on sys.path; `from apps.analytics.tasks
    import t` imports the module `analytics.tasks` of the root `src/apps`."""
    keys = ["analytics", "analytics.tasks", "settings"]
    modules = _modules(
        keys, {"analytics": "src/apps", "analytics.tasks": "src/apps", "settings": "src"}
    )
    assert modules.find("apps.analytics.tasks") == "analytics.tasks"
    assert modules.find("src.apps.analytics.tasks") == "analytics.tasks"
    assert modules.resolve("apps.analytics.tasks.t").module == "analytics.tasks"
    # Not through another directory, nor a directory of another root.
    assert modules.find("lib.analytics.tasks") is None
    assert modules.find("apps.settings") is None


def test_a_package_named_like_the_directory_above_a_root_wins() -> None:
    """A checkout `celery/` holding the package `celery` and a `setup.py`: `celery.setup`
    is no module of the package, and not the checkout's `setup` either."""
    modules = _modules(
        ["celery", "celery.app", "setup"], {k: "celery" for k in ("celery", "celery.app", "setup")}
    )
    assert modules.find("celery.app") == "celery.app"
    assert modules.find("celery.setup") is None
