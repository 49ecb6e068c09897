"""CL601 dispatch-in-transaction: a task sent while a Django transaction is open."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Optional

from celerylint.diagnostics import Applicability, Diagnostic, Edit, Fix
from celerylint.facts.schema import Assign, FileFacts, Ref, TransactionDispatch
from celerylint.fixes.edits import insert, make_fix
from celerylint.model.project import Project
from celerylint.rules._call_apps import app_list, is_test_code, receiver
from celerylint.rules.base import diagnostic, task_label
from celerylint.rules.registry import rule

_IMPORT = "from django.db import transaction\n"


@rule("CL601", "dispatch-in-transaction")
def dispatch_in_transaction(project: Project) -> Iterator[Diagnostic]:
    for module in project.relevant:
        facts = project.modules.facts(module)
        path = project.modules.paths[module]
        if facts is None or is_test_code(path):
            continue
        for record in facts.transaction_dispatches:
            found = receiver(project, record.receiver, module)
            if found is None:
                continue  # not a task (or app) of the project: maybe not Celery at all
            if record.method == "send_task" and found.task is not None:
                continue
            what = task_label(found.task) if found.task else app_list(found.apps)
            block = (
                f"`@transaction.atomic` (line {record.atomic.line})"
                if record.decorated
                else f"`transaction.atomic()` (line {record.atomic.line})"
            )
            via = f" via {', '.join(f'`{step}`' for step in record.via)}" if record.via else ""
            yield diagnostic(
                "CL601",
                f"`.{record.method}()` of {what} runs inside {block}{via}: the message is "
                "published at once, before the commit, so the worker may run the task before "
                "its data is committed (or after a rollback); send it from "
                "`transaction.on_commit(...)`",
                path,
                record.span,
                fix=_on_commit_fix(path, record, facts),
            )


def _on_commit_fix(path: str, record: TransactionDispatch, facts: FileFacts) -> Optional[Fix]:
    """`transaction.on_commit(lambda: <the call>)`, importing `transaction` if needed.

    Only for a call written in the block itself (a helper may be called from
    elsewhere too), as a statement of its own (`on_commit` returns None, not the
    result), outside loops (the lambda would read the loop variable when the
    transaction commits, not when the call was made).
    """
    if record.via or not record.statement or record.in_loop or record.transaction == "other":
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
