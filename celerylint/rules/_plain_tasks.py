"""Tasks whose calling conventions are exactly Celery's.

A task made by Celery's own decorator, in an app that is a plain `Celery` (or a
subclass that leaves task creation alone), with no project base class that
overrides how it is called: only for those can CL404, CL801, CL803 and CL804 say what
Celery will do with the task's arguments and its `self`.
"""

from __future__ import annotations

from collections.abc import Sequence

from celerylint.model.project import Project
from celerylint.model.settings import App
from celerylint.model.tasks import LEGACY_TASK, SHARED_TASK, Task

# What a `Celery` subclass may override to change how tasks are made or called.
_APP_HOOKS = frozenset({"task", "_task_from_fun", "create_task_cls", "subclass_with_self"})
_APP_ATTRS = frozenset({"task_cls", "Task"})


def celery_task(project: Project, task: Task) -> bool:
    """A function task made by Celery's own decorator, in apps that are plain `Celery`."""
    if task.kind != "function" or task.decorator is None:
        return False
    if task.maker is None:
        return False  # a project decorator: what it adds (bind, wrappers) is not visible
    if task.maker in LEGACY_TASK:
        return False  # Celery 4's compatibility decorator: its own base class
    if task.apps is None and task.maker not in SHARED_TASK:
        return False  # `<something>.task` of an app we cannot see
    return all(plain_app(project, app) for app in task.apps or [])


def plain_app(project: Project, app: App) -> bool:
    """The app is a `Celery`, or a project subclass that leaves task creation alone."""
    classes = project.app_classes(app)
    return classes is not None and not any(
        _APP_HOOKS & set(cls.methods) or _APP_ATTRS & set(cls.attrs) for cls in classes
    )


def decorators_below(task: Task) -> bool:
    """Decorators applied before the task decorator: they may change the signature."""
    decorators = task.decorators
    for index, decorator in enumerate(decorators):
        if decorator is task.decorator:
            return index + 1 < len(decorators)
    return True


def overrides(project: Project, task: Task, methods: Sequence[str]) -> bool:
    """The task's base classes define one of `methods` before celery.Task, or cannot be seen."""
    mro = project.options.base_mro(task)
    if mro is None:
        return True
    for entry in mro:
        if entry.terminal:
            return False  # celery.Task defines them all: later classes do not count
        if entry.facts is None or any(name in entry.facts.methods for name in methods):
            return True
    return False


def retry_receivers(project: Project, task: Task) -> set[str]:
    """The names the task's code calls Celery's `Task.retry` through: its first parameter
    when it is bound, its own name when Celery's decorator is the outermost (the module
    binds the task); none where `retry` may be another (CL404, CL804)."""
    names: set[str] = set()
    function = task.function
    if function is None:
        return names
    if _bound_task(project, task):
        names.add(function.positional[0])
    if (
        task.kind == "function"
        and task.decorators
        and task.decorators[0] is task.decorator
        and celery_task(project, task)
        and not overrides(project, task, ("retry",))
    ):
        own = task.qualname.rsplit(".", 1)[-1]
        if own not in function.positional and own not in function.kwonly:
            names.add(own)
    return names


def _bound_task(project: Project, task: Task) -> bool:
    """A task whose first parameter is the task itself and whose `retry` is Celery's."""
    if task.kind == "class":
        if not task.apps or not all(plain_app(project, app) for app in task.apps):
            return False
        function = task.function
        if function is None or not function.positional:
            return False
    else:
        if not celery_task(project, task) or decorators_below(task):
            return False
        if project.is_bound(task) is not True or not task.function or not task.function.positional:
            return False
    return not overrides(project, task, ("retry",))
