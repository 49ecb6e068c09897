"""Bare imports in script directories resolve to the file next to the importer."""

from __future__ import annotations

from pathlib import Path

from celerylint.model.namespace import Modules

ROOT = "/repo"


def _modules(*files: str) -> Modules:
    """Module keys as discovery names them: dotted from the root, files absolute."""
    paths = {}
    for name in files:
        relative = Path(name)
        parts = relative.with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        paths[".".join(parts)] = f"{ROOT}/{name}"
    return Modules(paths, lambda module: None)


def test_script_directory_imports_its_sibling() -> None:
    modules = _modules("svc_a/worker.py", "svc_a/tasks.py", "svc_b/worker.py", "svc_b/tasks.py")
    assert modules.find("worker", "svc_b.tasks") == "svc_b.worker"
    assert modules.find("worker", "svc_a.tasks") == "svc_a.worker"
    assert modules.resolve("worker.app", "svc_b.tasks").module == "svc_b.worker"


def test_sibling_package_directory() -> None:
    modules = _modules("svc/app.py", "svc/lib/__init__.py", "svc/lib/jobs.py")
    assert modules.find("lib.jobs", "svc.app") == "svc.lib.jobs"
    assert modules.find("lib", "svc.app") == "svc.lib"


def test_inside_a_package_a_bare_import_is_never_a_sibling() -> None:
    modules = _modules("pkg/__init__.py", "pkg/app.py", "pkg/tasks.py", "tasks.py")
    assert modules.find("tasks", "pkg.app") == "tasks"


def test_a_sibling_never_stands_in_for_celery() -> None:
    modules = _modules("svc/celery.py", "svc/tasks.py")
    assert modules.resolve("celery.Celery", "svc.tasks").kind == "external"
