"""Property-based fuzzing: extraction and the whole command line never crash.

Two generators: hypothesmith's grammar-derived programs (arbitrary valid
Python) fed to the per-file extractor, and a Celery-shaped project generator
(settings written every way Celery reads them, tasks with random options and
bodies) fed to `celerylint check`. The default budget keeps this file well
under a minute. For a long run, scale every test's example count:

    CELERYLINT_FUZZ_EXAMPLES=2000 /work/venv/bin/python -m pytest tests/test_fuzz.py -q

A failure prints the smallest program or project hypothesis found, which is
the reproducer to turn into a regular test.
"""

from __future__ import annotations

import collections
import contextlib
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import msgspec
import pytest

hypothesis = pytest.importorskip("hypothesis")
hypothesmith = pytest.importorskip("hypothesmith")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from celerylint.cli import main  # noqa: E402
from celerylint.facts import extract_source  # noqa: E402
from celerylint.facts.schema import FileFacts  # noqa: E402
from celerylint.facts.syntax import lower  # noqa: E402


def budget(default: int) -> int:
    """`default` examples, or CELERYLINT_FUZZ_EXAMPLES for a long run."""
    scaled = os.environ.get("CELERYLINT_FUZZ_EXAMPLES", "").strip()
    return int(scaled) if scaled.isdigit() and int(scaled) > 0 else default


def fuzz_settings(default: int) -> settings:
    return settings(
        max_examples=budget(default),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---------------------------------------------------------------------------
# (a) Arbitrary valid Python -> facts


@fuzz_settings(60)
@given(hypothesmith.from_grammar())
def test_extract_source_never_raises_on_grammar_programs(source: str) -> None:
    data = source.encode("utf-8", "surrogatepass")
    facts = extract_source(data, "fuzzed.module", False)
    assert isinstance(facts, FileFacts)
    # Facts are cached as JSON: a warm run must see exactly what a cold run saw.
    assert msgspec.json.decode(msgspec.json.encode(facts), type=FileFacts) == facts


@fuzz_settings(30)
@given(hypothesmith.from_grammar())
def test_lowering_never_raises_and_keeps_lines(source: str) -> None:
    # Valid programs seldom hold anything to rewrite; this exercises libcst's
    # parse, the position map and the token scan on arbitrary shapes.
    lowering = lower(source, target=(3, 9))
    if lowering.source is not None:
        assert len(lowering.source.splitlines()) == len(source.splitlines())


# ---------------------------------------------------------------------------
# (b) Celery-shaped projects -> the command line

SERIALIZERS = ["json", "pickle", "yaml", "msgpack", "application/json", "x-custom"]
LOWER_SETTINGS = [
    "task_time_limit",
    "task_soft_time_limit",
    "accept_content",
    "task_serializer",
    "result_serializer",
    "result_accept_content",
    "result_expires",
    "task_ignore_result",
    "result_backend",
    "broker_url",
    "task_acks_late",
    "worker_prefetch_multiplier",
    "task_annotations",
    "task_default_queue",
    "worker_max_tasks_per_child",
    "task_track_started",
    "task_always_eager",
    "timezone",
    "not_a_real_setting",
]
OLD_SETTINGS = [
    "CELERYD_TASK_TIME_LIMIT",
    "CELERYD_TASK_SOFT_TIME_LIMIT",
    "CELERY_ACCEPT_CONTENT",
    "CELERY_TASK_SERIALIZER",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_RESULT_EXPIRES",
    "CELERY_IGNORE_RESULT",
    "CELERYD_PREFETCH_MULTIPLIER",
    "BROKER_URL",
]
TASK_OPTIONS = [
    "time_limit",
    "soft_time_limit",
    "max_retries",
    "autoretry_for",
    "retry_backoff",
    "ignore_result",
    "serializer",
    "bind",
]

literal_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=100_000),
    st.floats(min_value=-1, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from(SERIALIZERS),
    st.sampled_from(["redis://localhost:6379/0", "rpc://", "", "UTC", "celery"]),
)


def _expr(draw: Any) -> str:
    kind = draw(st.integers(0, 9))
    if kind <= 3:
        return repr(draw(literal_scalars))
    if kind == 4:
        return repr(draw(st.lists(st.sampled_from(SERIALIZERS), max_size=3)))
    if kind == 5:
        option = draw(st.sampled_from(["time_limit", "rate_limit", "soft_time_limit"]))
        return repr({"*": {option: draw(st.integers(0, 600))}})
    if kind == 6:
        return f"timedelta(seconds={draw(st.integers(0, 10_000))})"
    if kind == 7:
        return f"os.environ.get({draw(st.sampled_from(['A', 'B']))!r}, {_expr(draw)})"
    if kind == 8:
        return "os.environ['REQUIRED']"
    return repr(tuple(draw(st.lists(st.sampled_from(SERIALIZERS), max_size=2))))


def _task_options(draw: Any) -> dict[str, str]:
    names = draw(st.lists(st.sampled_from(TASK_OPTIONS), unique=True, max_size=5))
    values = {
        "time_limit": lambda: repr(draw(st.one_of(st.none(), st.integers(0, 900)))),
        "soft_time_limit": lambda: repr(draw(st.integers(0, 900))),
        "max_retries": lambda: repr(draw(st.one_of(st.none(), st.integers(0, 10)))),
        "autoretry_for": lambda: draw(
            st.sampled_from(["(Exception,)", "(ValueError, KeyError)", "(BaseException,)"])
        ),
        "retry_backoff": lambda: repr(draw(st.one_of(st.booleans(), st.integers(0, 60)))),
        "ignore_result": lambda: repr(draw(st.booleans())),
        "serializer": lambda: repr(draw(st.sampled_from(SERIALIZERS))),
        "bind": lambda: repr(draw(st.booleans())),
    }
    return {name: values[name]() for name in names}


BODIES = [
    "return x",
    "pass",
    "{other}.delay(x)",
    "return {other}.delay(x).get()",
    "result = {other}.apply_async((x,), countdown=1)\nreturn result.get(timeout=1)",
    "{other}.delay(x, countdown=3)",
    "{other}.apply_async(x)",
    "{other}.s(x).delay()",
    "with multiprocessing.Pool(2) as pool:\n    pool.map(str, [x])",
    "ProcessPoolExecutor().submit(str, x)",
    "multiprocessing.Process(target=print).start()",
    "self.retry(countdown=1)",
    "raise self.retry(countdown=1)",
    "try:\n    x = int(x)\nexcept {group} as exc:\n    raise self.retry(exc=exc)",
    "try:\n    return int(x)\nexcept {group}:\n    return None",
]


@st.composite
def celery_projects(draw: Any) -> tuple[dict[str, str], bool]:
    """Files of a random Celery project, and whether it holds an except group."""
    style = draw(st.sampled_from(["conf", "config_module", "django"]))
    celery_lines = [
        "import os",
        "from datetime import timedelta",
        "from celery import Celery",
        "",
    ]
    kwargs = []
    for name in draw(st.lists(st.sampled_from(["broker", "backend"]), unique=True, max_size=2)):
        kwargs.append(f"{name}={_expr(draw)}")
    celery_lines.append(f"app = Celery({', '.join([repr('proj'), *kwargs])})")
    files: dict[str, str] = {"proj/__init__.py": ""}
    if style == "config_module":
        celery_lines.append("app.config_from_object('proj.celeryconfig')")
        names = draw(st.lists(st.sampled_from(LOWER_SETTINGS + OLD_SETTINGS), max_size=6))
        files["proj/celeryconfig.py"] = "\n".join(
            ["import os", "from datetime import timedelta"]
            + [f"{name} = {_expr(draw)}" for name in names]
        )
    elif style == "django":
        celery_lines.insert(3, "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')")
        celery_lines.append("app.config_from_object('django.conf:settings', namespace='CELERY')")
        names = draw(
            st.lists(
                st.sampled_from(["CELERY_" + n.upper() for n in LOWER_SETTINGS] + OLD_SETTINGS),
                max_size=6,
            )
        )
        files["proj/settings.py"] = "\n".join(
            ["import os", "from datetime import timedelta", "SECRET_KEY = 'x'"]
            + [f"{name} = {_expr(draw)}" for name in names]
        )
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(LOWER_SETTINGS))
        how = draw(st.integers(0, 2))
        if how == 0:
            celery_lines.append(f"app.conf.{name} = {_expr(draw)}")
        elif how == 1:
            celery_lines.append(f"app.conf[{name!r}] = {_expr(draw)}")
        else:
            more = draw(st.lists(st.sampled_from(LOWER_SETTINGS), unique=True, max_size=3))
            items = ", ".join(f"{n}={_expr(draw)}" for n in [name, *more])
            celery_lines.append(f"app.conf.update({items})")
    files["proj/celery.py"] = "\n".join(celery_lines)

    count = draw(st.integers(1, 4))
    task_lines = [
        "import multiprocessing",
        "from concurrent.futures import ProcessPoolExecutor",
        "from celery import shared_task",
        "from proj.celery import app",
    ]
    has_group = False
    for index in range(count):
        options = _task_options(draw)
        decorator = draw(st.sampled_from(["@app.task", "@shared_task"]))
        if options or draw(st.booleans()):
            decorator += "(" + ", ".join(f"{k}={v}" for k, v in options.items()) + ")"
        bound = options.get("bind") == "True" or draw(st.integers(0, 4)) == 0
        params = "self, x" if bound else "x"
        body: list[str] = []
        for template in draw(st.lists(st.sampled_from(BODIES), min_size=1, max_size=3)):
            if "self." in template and not bound:
                continue
            if "{group}" in template:
                has_group = True
            other = f"t{draw(st.integers(0, count - 1))}"
            body.extend(template.format(other=other, group="(ValueError, TypeError)").split("\n"))
        task_lines += ["", "", decorator, f"def t{index}({params}):"]
        task_lines += ["    " + line for line in body or ["pass"]]
    task_lines += ["", "", "t0.delay(1)"] if draw(st.booleans()) else []
    files["proj/tasks.py"] = "\n".join(task_lines)
    return {name: text + "\n" for name, text in files.items()}, has_group


def _check(root: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--no-cache", "--output-format", "json", str(root)])
    return code, out.getvalue(), err.getvalue()


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@fuzz_settings(40)
@given(celery_projects())
def test_celery_projects_lint_cleanly_and_deterministically(
    project: tuple[dict[str, str], bool],
) -> None:
    files, has_group = project
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, files)
        code, out, err = _check(root)
        assert code in (0, 1), err
        findings = json.loads(out)
        assert isinstance(findings, list)
        assert (code == 1) == bool(findings)
        assert "CL000" not in {f["code"] for f in findings}, findings
        # Byte-identical output on a second run.
        assert _check(root) == (code, out, err)
        if has_group and sys.version_info < (3, 14):
            # The same project spelled with Python 3.14's unparenthesized
            # except groups is read through the lowering path, and must give
            # exactly the same output, positions included.
            # (Bound with `as`, the group keeps its parentheses in 3.14 too.)
            tasks = files["proj/tasks.py"].replace(
                "except (ValueError, TypeError):", "except ValueError, TypeError:"
            )
            (root / "proj" / "tasks.py").write_text(tasks, encoding="utf-8")
            assert _check(root) == (code, out, err)


@pytest.mark.parametrize(
    ("celery_py", "decorator"),
    [
        ("app.conf.task_time_limit = None\n", "@app.task"),
        ("app.conf.task_time_limit = False\n", "@app.task"),
        ("", "@app.task(time_limit=0)"),
    ],
    ids=["conf-none", "conf-false", "task-zero"],
)
def test_fix_of_missing_time_limit_converges_over_an_explicit_no_limit(
    tmp_path: Path, celery_py: str, decorator: str
) -> None:
    """Found by fuzzing `--fix --unsafe-fixes` with the generator above.

    An explicit "no limit" that wins over the global setting the CL201 fix
    inserts makes every round insert it again: ten identical lines are
    written, and the run ends with "fixes failed to converge".
    """
    _write(
        tmp_path,
        {
            "proj/__init__.py": "",
            "proj/celery.py": "from celery import Celery\n\napp = Celery('proj')\n" + celery_py,
            "proj/tasks.py": f"from proj.celery import app\n{decorator}\ndef t0():\n    return 1\n",
        },
    )
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        main(["check", "--no-cache", "--fix", "--unsafe-fixes", str(tmp_path)])
    assert "converge" not in err.getvalue()
    celery_text = (tmp_path / "proj" / "celery.py").read_text(encoding="utf-8")
    assert celery_text.count("task_time_limit = 300") <= 1, celery_text


def _fix(root: Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--no-cache", "--fix", "--unsafe-fixes", "--exit-zero", str(root)])
    assert code == 0, err.getvalue()
    return err.getvalue()


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def _per_file_codes(out: str, root: Path) -> collections.Counter[tuple[str, str]]:
    return collections.Counter(
        (Path(f["filename"]).relative_to(root).as_posix(), f["code"]) for f in json.loads(out)
    )


def _files_fixed_by(finding: dict[str, Any]) -> list[str]:
    """ruff's `fix` edits the finding's own file; `cross_file_fix` names each file it edits."""
    names = [finding["filename"]] if finding["fix"] is not None else []
    cross = finding["cross_file_fix"]
    return names + ([edit["filename"] for edit in cross["edits"]] if cross else [])


@fuzz_settings(30)
@given(celery_projects())
def test_fix_output_parses_is_idempotent_and_adds_no_findings(
    project: tuple[dict[str, str], bool],
) -> None:
    import ast

    files, _has_group = project
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write(root, files)
        _code, before_out, _err = _check(root)
        before = _per_file_codes(before_out, root)
        fixable_files = {
            Path(name).relative_to(root).as_posix()
            for f in json.loads(before_out)
            for name in _files_fixed_by(f)
        }
        original = _snapshot(root)
        errors = _fix(root)
        assert "converge" not in errors and "would not parse" not in errors, errors
        fixed = _snapshot(root)
        for name, data in fixed.items():
            ast.parse(data, filename=name)  # every file still parses
        changed = {name for name in fixed if fixed[name] != original.get(name)}
        assert changed <= fixable_files, (changed, fixable_files)
        _fix(root)
        assert _snapshot(root) == fixed  # idempotent
        _code, after_out, _err = _check(root)
        after = _per_file_codes(after_out, root)
        # Fixes remove findings; they never add one (per file and rule).
        assert not (after - before), (after - before, files)


def test_generator_produces_valid_python() -> None:
    """The project generator itself must write parsable Python, or (b) tests nothing."""
    import ast

    @settings(max_examples=20, deadline=None)
    @given(celery_projects())
    def check(project: tuple[dict[str, str], bool]) -> None:
        for name, text in project[0].items():
            ast.parse(text, filename=name)

    check()
