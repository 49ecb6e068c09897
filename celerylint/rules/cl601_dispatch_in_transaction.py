"""CL601 dispatch-in-transaction: a task sent while a Django transaction is open."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Applicability, Diagnostic, Edit, Fix
from celerylint.facts.schema import Assign, FileFacts, Ref, TransactionDispatch
from celerylint.fixes.edits import insert, make_fix, replace
from celerylint.model.project import Project
from celerylint.model.settings import CELERY_CLASSES, App
from celerylint.model.tasks import Task
from celerylint.rules._atomic_requests import Views
from celerylint.rules._call_apps import app_list, receiver
from celerylint.rules._plain_tasks import overrides
from celerylint.rules.base import diagnostic, shown, task_label
from celerylint.rules.registry import rule
from celerylint.sources.requirements import at_least

_IMPORT = "from django.db import transaction\n"
DJANGO_TASK = "celery.contrib.django.task.DjangoTask"
ON_COMMIT_SINCE = (5, 4)  # `delay_on_commit` / `apply_async_on_commit`
# Celery() arguments that change the task class or the fixups (celery/app/base.py).
_CLASS_ARGUMENTS = frozenset({"task_cls", "fixups", "loader"})


@rule("CL601", "dispatch-in-transaction")
def dispatch_in_transaction(project: Project) -> Iterator[Diagnostic]:
    views = Views(project)
    for module in project.relevant:
        facts = project.modules.facts(module)
        path = project.modules.paths[module]
        if facts is None or path in project.test_paths:
            continue
        for record in facts.transaction_dispatches:
            found = receiver(project, record.receiver, module)
            if found is None:
                continue  # not a task (or app) of the project: maybe not Celery at all
            if record.method == "send_task" and found.task is not None:
                continue
            if found.task is not None and overrides(project, found.task, _sending(record)):
                continue  # pretix's TransactionAwareTask sends from `on_commit` itself
            opened = _opened(record, module, views)
            if opened is None:
                continue
            what = task_label(found.task) if found.task else app_list(found.apps)
            block, why = opened
            via = f" via {', '.join(f'`{step}`' for step in record.via)}" if record.via else ""
            yield diagnostic(
                "CL601",
                f"`.{record.method}()` of {what} runs inside {block}{via}: {why}the message "
                "is published at once, before the commit, so the worker may run the task "
                "before its data is committed (or after a rollback); send it from "
                "`transaction.on_commit(...)`",
                path,
                record.span,
                fix=(
                    _delay_on_commit_fix(path, record)
                    if _has_on_commit_methods(project, record, found.task)
                    else _on_commit_fix(path, record, facts)
                ),
            )


def _opened(record: TransactionDispatch, module: str, views: Views) -> Optional[tuple[str, str]]:
    """What opened the transaction, and why it is open, for the message; None when
    it is a view's that is not certainly run in the request's transaction."""
    line = record.atomic.line
    view = record.view
    if view is None:
        block = "`@transaction.atomic`" if record.decorated else "`transaction.atomic()`"
        return f"{block} (line {line})", ""
    on = views.atomic_requests
    if on is None or not views.wrapped(module, view):
        return None
    return (
        f"the request's transaction of the view `{view.name}` (line {line})",
        f"`ATOMIC_REQUESTS` is on for database `{on.alias}` ({shown(on.path)}:{on.span.line}), "
        "so Django runs the view in `transaction.atomic()`; ",
    )


def _sending(record: TransactionDispatch) -> tuple[str, ...]:
    """The task's methods the call sends through: `task.delay()` calls `apply_async`,
    and a signature's `.delay()` / `.apply_async()` the task's `apply_async`."""
    own_delay = record.method == "delay" and record.method_span is not None
    return ("delay", "apply_async") if own_delay else ("apply_async",)


def _has_on_commit_methods(
    project: Project, record: TransactionDispatch, task: Optional[Task]
) -> bool:
    """The call is a task's own method (not a signature's, not `send_task`), and the
    task's class is Celery's `DjangoTask`, of a Celery the pins say is 5.4+."""
    if task is None or record.method_span is None:
        return False
    if not at_least(project.celery_version_floor, ON_COMMIT_SINCE):
        return False
    if task.kind != "function" or task.maker is None or task.opaque_options:
        return False  # a decorator of the project, or `**options`, may pass `base=`
    if task.base == DJANGO_TASK:
        return True
    return (
        task.base is None
        and bool(task.apps)
        and all(_django_task_class(project, app) for app in task.apps or [])
    )


def _django_task_class(project: Project, app: App) -> bool:
    """The Django fixup makes `DjangoTask` the app's task class (celery/fixups/django.py).

    It does so when DJANGO_SETTINGS_MODULE is set as the app is created (here:
    `os.environ.setdefault(...)` above `Celery(...)` in its module) and the app
    is a plain `Celery` given no task class, fixups or loader of its own.
    """
    record = app.record
    if record.callee not in CELERY_CLASSES or record.opaque or len(record.args) > 1:
        return False  # a subclass may set `task_cls`; positional args may be any of them
    if _CLASS_ARGUMENTS & record.kwargs.keys():
        return False
    facts = project.modules.facts(app.module)
    return facts is not None and any(
        default.span.line < record.span.line for default in facts.settings_module_defaults
    )


def _delay_on_commit_fix(path: str, record: TransactionDispatch) -> Optional[Fix]:
    """`task.delay_on_commit(...)` / `task.apply_async_on_commit(...)`.

    Only for a call written in the block itself, as a statement of its own
    (they return None), outside a `try` that handles its errors (they would be
    raised at the commit, past the handler). Unlike the lambda, the arguments are
    evaluated at once, so a call in a loop is fixed too.
    """
    if record.via or not record.statement or record.in_try or record.method_span is None:
        return None
    name = f"{record.method}_on_commit"
    return make_fix(
        f"Send the task with `.{name}()`",
        Applicability.UNSAFE,
        [replace(path, record.method_span, name)],
    )


def _on_commit_fix(path: str, record: TransactionDispatch, facts: FileFacts) -> Optional[Fix]:
    """`transaction.on_commit(lambda: <the call>)`, importing `transaction` if needed.

    Only for a call written in the block itself (a helper may be called from
    elsewhere too), as a statement of its own (`on_commit` returns None, not the
    result), outside loops (the lambda would read the loop variable when the
    transaction commits, not when the call was made), outside a `try` that handles
    exceptions (a failed send would be raised at the commit, past its handler).
    """
    if (
        record.via
        or not record.statement
        or record.in_loop
        or record.in_try
        or record.transaction == "other"
    ):
        return None
    span = record.span
    edits: list[Edit] = [
        insert(path, span.line, span.col, "transaction.on_commit(lambda: "),
        insert(path, span.end_line, span.end_col, ")"),
    ]
    if record.transaction == "free":
        after = _last_import_line(facts)
        if after is None:
            return None
        edits.append(insert(path, after + 1, 0, _IMPORT))
    return make_fix(
        "Send the task from `transaction.on_commit(lambda: ...)`", Applicability.UNSAFE, edits
    )


def _last_import_line(facts: FileFacts) -> Optional[int]:
    """The last line of the module's last top-level, unconditional import statement."""
    lines = [
        event.node.span.end_line
        for event in facts.events
        if isinstance(event, Assign)
        and not event.conditional
        and isinstance(event.node, Ref)
        and event.node.span is not None
        and event.node.span.col == 0  # an import statement (`x = a.b` refs are values)
    ]
    return max(lines) if lines else None
