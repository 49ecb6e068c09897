"""The bytes prefilter never drops a file a rule needs.

Every example of every rule contract is linted twice: alone, and mixed into a
tree of many irrelevant files (enough to take the parallel extraction path).
The findings must be identical.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from celerylint.cli import main
from celerylint.sources.prefilter import (
    RELEVANT,
    implies_relevant,
    is_relevant,
    markers_of,
    prefilter_tokens,
    relevance,
)

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
IRRELEVANT_FILES = 60

FILLER = '''\
"""An ordinary module: views, models, utilities."""

import logging

logger = logging.getLogger(__name__)


def handle(request, task_id):
    result = {"task": task_id, "ok": True}
    logger.info("handled %s", result)
    return result


class Settings:
    retries = 3
'''


def _examples() -> list[Any]:
    params = []
    for spec_path in sorted(RULES_DIR.glob("*.yaml")):
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        for example in spec.get("examples", ()):
            params.append(
                pytest.param(spec["code"], example, id=f"{spec['code']}-{example['name']}")
            )
    return params


def _write(root: Path, example: dict[str, Any]) -> None:
    if example.get("config"):
        (root / "pyproject.toml").write_text(example["config"], encoding="utf-8")
    for name, value in example["files"].items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, dict):
            path.write_bytes(value["text"].encode(value["encoding"]))
        else:
            path.write_text(value, encoding="utf-8")


def _findings(
    root: Path, code: str, capsys: pytest.CaptureFixture[str]
) -> list[tuple[object, ...]]:
    main(["check", "--no-cache", "--output-format", "json", "--select", code, str(root)])
    out = json.loads(capsys.readouterr().out)
    return sorted(
        (Path(f["filename"]).relative_to(root).as_posix(), f["location"]["row"], f["code"])
        for f in out
    )


@pytest.mark.parametrize(("code", "example"), _examples())
def test_examples_unchanged_in_a_large_tree(
    code: str, example: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alone, mixed = tmp_path / "alone", tmp_path / "mixed"
    for root in (alone, mixed):
        root.mkdir()
        _write(root, example)
    for index in range(IRRELEVANT_FILES):
        package = mixed / f"app{index % 6}"
        package.mkdir(exist_ok=True)
        (package / "__init__.py").touch()
        (package / f"views_{index}.py").write_text(FILLER, encoding="utf-8")
    assert _findings(mixed, code, capsys) == _findings(alone, code, capsys)


def test_filler_is_really_skipped() -> None:
    # Otherwise the test above would not exercise the prefilter at all.
    assert not is_relevant(FILLER.encode(), "app0/views_1.py", prefilter_tokens(()))


@pytest.mark.parametrize(
    "line",
    [
        b"@app.task\n",
        b"@app.task(bind=True)\n",
        b"@celery_app.task  # comment\n",
        b"from celery import shared_task\n",
        b"app = Celery('x')\n",
        b"result = AsyncResult(task_id)\n",
        b"chord(header)(callback)\n",
        b"CELERY_BROKER_URL = env('X')\n",
        b"    CELERY_TIMEZONE: str = 'UTC'\n",
        b"\tCELERY_X=1\n",
        b"x = CELERY_Y\n  CELERY_Z = 2\n",  # the second on its line start
        b"send_email.delay(1)\n",
        b"chain(a.s(1), b.si())\n",
        b"app.conf.task_time_limit = 5\n",
        b"app.conf['task_time_limit'] = 5\n",
        b"from django.conf.urls import url\napp.conf.update(x=1)\n",
        b"os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
        b"app.tasks.register(ExportTask())\n",
        b"worker.worker_main(args)\n",  # a worker started from Python code (libretime)
    ],
)
def test_each_celery_construct_passes_the_prefilter(line: bytes) -> None:
    assert is_relevant(b"import os\n" + line, "x.py", prefilter_tokens(()))


@pytest.mark.parametrize(
    "line",
    [
        b"self.task_id = 1\n",
        b"from django.conf import settings\n",
        b"from django.conf.urls import include, url\n",  # every older urls.py
        b"x = settings.CELERY_QUEUE\n",
        b"x = CELERY_X = 1\n",  # not at the start of its line
        b"# CELERY_X = 1\n",
        b"MY_CELERY_X = 1\n",
        b"CELERY_X\n= 1\n",  # the name and the `=` on two lines
        b"class MyCelery (Base): pass\n",  # a name, then a parenthesis after a space
        b"x = (chord)\n",
    ],
)
def test_look_alikes_do_not(line: bytes) -> None:
    assert not is_relevant(line, "x.py", prefilter_tokens(()))


@pytest.mark.parametrize(
    ("text", "implied"),
    [
        ("shared_task_with_retry", True),  # kitsune's decorator factory
        ("my_send_task(", True),
        ("x.delay(", True),
        ("locked_task", True),  # a configured task decorator's name
        ("retrying", False),
        ("task", False),
        ("CELERY_QUEUES", False),  # an assignment at a line start only
        (".conf", False),
        ("celery_app.conf.update", True),
        ("go.conf.update", False),  # a file may hold it as `django.conf.update`
    ],
)
def test_what_any_file_containing_a_text_is(text: str, implied: bool) -> None:
    """`implies_relevant` answers for every file holding the text: checked on the text
    alone and among other lines, under a name that is no hint."""
    tokens = prefilter_tokens(("proj.deco.locked_task",))
    assert implies_relevant(text, tokens) is implied
    if implied:
        data = text.encode()
        for around in (data, b"x = 1\n" + data + b"\n", b"#" + data + b"#"):
            assert is_relevant(around, "x.py", tokens)


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"x = 1\n", "x = 1"),
        (b"self.task_id = 1\n", "task_id"),
        (b"q = settings.CELERY_QUEUES\n", ".CELERY_QUEUES"),
        (b"# a task's CELERY_X\n", "task's CELERY_X"),
        (b"url = settings.BROKER_URL\n", ".BROKER_URL"),
        (b"BROKER_URL = 'redis://'  # CELERY_ one day\n", "BROKER_URL"),
    ],
)
def test_a_file_left_out_is_told_by_the_markers_it_holds(data: bytes, text: str) -> None:
    """What `FactStore.mentioning` relies on: the markers of a text are among those of
    any file left out that holds it."""
    tokens = prefilter_tokens(())
    markers = relevance(data, "x.py", tokens)
    assert markers != RELEVANT
    assert markers == markers_of(data.decode())
    assert markers_of(text) & ~markers == 0


def test_the_file_name_is_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tokens = prefilter_tokens(())
    assert is_relevant(b"x = 1\n", "celeryconfig.py", tokens)
    assert not is_relevant(b"x = 1\n", "views.py", tokens)
    # Its directories are not: Celery's own repository is a `celery/` package (a
    # module the model needs, say a config module, is loaded on demand).
    (tmp_path / "celery").mkdir()
    (tmp_path / "celery" / "text.py").write_text("x = 1\n")
    (tmp_path / "celeryconfig.py").write_text("x = 1\n")
    main(["check", "--no-cache", "--timings", "--output-format", "json", str(tmp_path)])
    assert '"parsed": 1' in capsys.readouterr().err


def test_a_celery_package_s_modules_are_loaded_when_needed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`proj/celery/config.py` mentions nothing Celery's: skipped eagerly, read when the
    app's configuration imports its values."""
    package = tmp_path / "proj" / "celery"
    package.mkdir(parents=True)
    (tmp_path / "proj" / "__init__.py").touch()
    (package / "__init__.py").write_text(
        "from celery import Celery\nfrom .config import SERIALIZER\n\n"
        "app = Celery('proj', broker='redis://r/0')\n"
        "app.conf.accept_content = [SERIALIZER]\n",
        encoding="utf-8",
    )
    (package / "config.py").write_text('SERIALIZER = "pickle"\n', encoding="utf-8")
    assert _findings(tmp_path, "CL101", capsys) == [("proj/celery/__init__.py", 5, "CL101")]
