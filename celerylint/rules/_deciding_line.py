"""Task findings at the line that decides them.

A task option written on the task's own decorator is reported at that
keyword; one written on a decorator factory or a base class attribute, which
decides the option for every task made with it, is reported once there,
naming the tasks it affects. An option no single line decides (Celery's
default, the app's setting, `task_annotations`) leaves the finding at the
task's name.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import msgspec

from celerylint.diagnostics import Span
from celerylint.model.tasks import Option, Task
from celerylint.rules.base import task_label

_NAMED = 3  # tasks named in a message; the rest are counted


class Decided(msgspec.Struct):
    """One finding: where it is reported, the tasks it concerns, the deciding option."""

    path: str
    span: Span
    option: Option
    tasks: list[Task] = msgspec.field(default_factory=list)

    @property
    def at_task(self) -> bool:
        """Reported at a task's name: no option line decides it."""
        return len(self.tasks) == 1 and self.span == self.tasks[0].span

    def subject(self, one: str, many: str) -> str:
        """`Task `a` <one>` or `Tasks `a`, `b` and 3 more <many>`."""
        tasks = self.tasks
        if len(tasks) == 1:
            return f"Task {task_label(tasks[0])} {one}"
        return f"{len(tasks)} tasks ({tasks_list(tasks)}) {many}"


def tasks_list(tasks: Sequence[Task]) -> str:
    labels = [task_label(task) for task in tasks[:_NAMED]]
    rest = len(tasks) - len(labels)
    if rest:
        return ", ".join(labels) + f" and {rest} more"
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def by_deciding_line(found: Sequence[tuple[Task, Option]]) -> Iterator[Decided]:
    """Findings grouped by the line that decides them, in the order first found."""
    groups: dict[tuple[str, Span], Decided] = {}
    for task, option in found:
        located = option.located if option.origin in ("task", "base") else None
        key = located or (task.path, task.span)
        group = groups.get(key)
        if group is None:
            group = groups[key] = Decided(*key, option)
        if task not in group.tasks:
            group.tasks.append(task)
    yield from groups.values()
