"""`celerylint server` end to end: a real LSP client (pytest-lsp) drives the server process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.workspace import PositionCodec
from pytest_lsp import ClientServerConfig, LanguageClient

from celerylint.server.convert import from_position, position
from celerylint.server.hover import hover_text
from celerylint.server.linting import Linter


def test_columns_are_utf16_code_units_by_default() -> None:
    lines = ['x = "😋é"; y = 1\n']
    utf16, utf32 = PositionCodec("utf-16"), PositionCodec("utf-32")
    # `y` is character 11: after an emoji (two UTF-16 units) and é (one).
    assert position(utf16, lines, 1, 11).character == 12
    assert position(utf32, lines, 1, 11).character == 11
    assert from_position(utf16, lines, types.Position(0, 12)) == (1, 11)


def test_without_pygls_the_server_says_what_to_install() -> None:
    script = (
        "import sys; sys.modules['pygls'] = None; from celerylint.cli import main; "
        "sys.exit(main(['server']))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("install celerylint[server]")


CELERY = """\
from celery import Celery

app = Celery("proj")
app.config_from_object("proj.celeryconfig")
"""
CONFIG = """\
accept_content = ["json"]
task_time_limit = 300
"""
TASKS = """\
from proj.celery import app


@app.task(bind=True, max_retries=5, serializer="msgpack")
def sync_account(self, account_id):  # é
    try:
        return push(account_id)
    except ConnectionError as exc:
        self.retry(exc=exc, countdown=30)
"""
CALLS = """\
from proj.celery import app

app.send_task("proj.tasks.sync_account")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.celerylint]\n")
    package = tmp_path / "proj"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in (("celery", CELERY), ("celeryconfig", CONFIG), ("tasks", TASKS)):
        (package / f"{name}.py").write_text(text, encoding="utf-8")
    (package / "calls.py").write_text(CALLS)
    return tmp_path


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "celerylint", "server"])
)
async def client(lsp_client: LanguageClient, project: Path):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name="proj")],
        )
    )
    yield
    await lsp_client.shutdown_session()


def uri(project: Path, name: str) -> str:
    return (project / "proj" / name).as_uri()


def codes(client: LanguageClient, target: str) -> set[str]:
    return {str(d.code) for d in client.diagnostics.get(target, [])}


async def until(
    client: LanguageClient, target: str, wanted: Callable[[set[str]], bool], seconds: float = 8
) -> set[str]:
    for _ in range(int(seconds / 0.05)):
        if target in client.diagnostics and wanted(codes(client, target)):
            return codes(client, target)
        await asyncio.sleep(0.05)
    raise AssertionError(f"diagnostics of {target}: {codes(client, target)}")


def open_file(client: LanguageClient, target: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=target, language_id="python", version=1, text=text)
        )
    )


def replace(client: LanguageClient, target: str, text: str, version: int = 2) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=target, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    """Apply ASCII-only edits (as a client would) to `text`."""
    lines = text.splitlines(keepends=True)

    def offset(p: types.Position) -> int:
        return sum(len(line) for line in lines[: p.line]) + p.character

    for edit in sorted(edits, key=lambda e: offset(e.range.start), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


APP = """\
import os
from celery import Celery

app = Celery("proj", broker="redis://localhost", backend=os.environ["RB"])
app.conf.update(task_time_limit=60)
"""


@pytest.mark.parametrize(
    ("line", "word", "shown"),
    [
        (4, "broker", "**broker_url**"),
        (4, "backend", "unknown: environment variable RB"),
        (5, "task_time_limit", "`60` (set on the app at proj/celery.py:5)"),
    ],
)
def test_hover_on_settings_written_to_the_app(
    tmp_path: Path, line: int, word: str, shown: str
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.celerylint]\n")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    path = tmp_path / "proj" / "celery.py"
    path.write_text(APP)
    linter = Linter(tmp_path)
    project = linter.check({}).project
    assert project is not None
    text = APP.splitlines()[line - 1]
    found = hover_text(project, str(path), line, text.index(word) + 1, text, tmp_path)
    assert found is not None and shown in found


@pytest.mark.asyncio
async def test_diagnostics_actions_and_edits(client: LanguageClient, project: Path) -> None:
    tasks = uri(project, "tasks.py")
    open_file(client, tasks, TASKS)
    assert await until(client, tasks, lambda c: c == {"CL102", "CL804"})
    shown = {str(d.code): d for d in client.diagnostics[tasks]}
    retry = shown["CL804"]
    assert retry.source == "celerylint"
    assert retry.severity == types.DiagnosticSeverity.Warning
    assert retry.code_description is not None
    assert retry.code_description.href.endswith("/retry-not-raised.md")
    assert (retry.range.start.line, retry.range.start.character) == (8, 8)
    # Each check's stage timings go to the editor's LSP log (right after its diagnostics).
    for _ in range(100):
        if any("checked in" in m.message and "rules" in m.message for m in client.log_messages):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(client.log_messages)

    found = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=tasks),
            range=retry.range,
            context=types.CodeActionContext(diagnostics=[retry]),
        )
    )
    assert found is not None
    by_title = {a.title: a for a in found if isinstance(a, types.CodeAction)}
    fix = next(a for t, a in by_title.items() if t.startswith("CL804"))
    assert fix.is_preferred
    assert fix.edit is not None and fix.edit.changes is not None
    assert "raise self.retry(" in apply(TASKS, fix.edit.changes[tasks])
    suppress = by_title["Suppress CL804 on this line"]
    assert suppress.edit is not None and suppress.edit.changes is not None
    assert "self.retry(exc=exc, countdown=30)  # celerylint: ignore[CL804]" in apply(
        TASKS, suppress.edit.changes[tasks]
    )
    everything = by_title["celerylint: fix all safe fixes in this file"]
    assert everything.kind == types.CodeActionKind.SourceFixAll
    assert everything.edit is not None and everything.edit.changes is not None
    assert apply(TASKS, everything.edit.changes[tasks]) == apply(TASKS, fix.edit.changes[tasks])

    # A settings module's unsaved change updates the task module's findings.
    config = uri(project, "celeryconfig.py")
    widened = CONFIG.replace('["json"]', '["json", "msgpack"]')
    open_file(client, config, CONFIG)
    replace(client, config, widened)
    assert await until(client, tasks, lambda c: c == {"CL804"})
    # Saved and closed: the disk now says the same.
    (project / "proj" / "celeryconfig.py").write_text(widened)
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=config))
    )
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=config))
    )
    await asyncio.sleep(0.3)
    assert codes(client, tasks) == {"CL804"}

    # A syntax error mid-edit is a finding, not a crash; fixing it brings the rest back.
    replace(client, tasks, TASKS.replace("def sync_account(", "def sync_account(("), 2)
    assert await until(client, tasks, lambda c: c == {"CL000"})
    replace(client, tasks, TASKS, 3)
    assert await until(client, tasks, lambda c: c == {"CL804"})

    # The configuration changes: the server reloads it.
    (project / "pyproject.toml").write_text('[tool.celerylint]\nignore = ["CL804"]\n')
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[
                types.FileEvent(
                    uri=(project / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed
                )
            ]
        )
    )
    await until(client, tasks, lambda c: c == set())


@pytest.mark.asyncio
async def test_hover_and_definition(client: LanguageClient, project: Path) -> None:
    calls = uri(project, "calls.py")
    open_file(client, calls, CALLS)
    await until(client, calls, lambda c: True)
    at_string = types.Position(line=2, character=20)
    located = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri=calls), at_string)
    )
    assert isinstance(located, list) and len(located) == 1
    assert located[0].uri == uri(project, "tasks.py")
    assert located[0].range.start.line == 4
    hovered = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=calls), at_string)
    )
    assert hovered is not None and isinstance(hovered.contents, types.MarkupContent)
    assert "proj.tasks.sync_account" in hovered.contents.value

    config = uri(project, "celeryconfig.py")
    open_file(client, config, CONFIG)
    await until(client, config, lambda c: True)
    hovered = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=config), types.Position(1, 3))
    )
    assert hovered is not None and isinstance(hovered.contents, types.MarkupContent)
    assert "task_time_limit" in hovered.contents.value
    assert "`300`" in hovered.contents.value
    assert "celeryconfig.py:2" in hovered.contents.value

    tasks = uri(project, "tasks.py")
    open_file(client, tasks, TASKS)
    await until(client, tasks, lambda c: bool(c))
    hovered = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=tasks), types.Position(4, 6))
    )
    assert hovered is not None and isinstance(hovered.contents, types.MarkupContent)
    assert "`max_retries` = `5`" in hovered.contents.value
    assert "`time_limit` = `300`" in hovered.contents.value


@pytest.mark.asyncio
async def test_file_deleted_while_open(client: LanguageClient, project: Path) -> None:
    tasks = uri(project, "tasks.py")
    open_file(client, tasks, TASKS)
    assert await until(client, tasks, lambda c: "CL804" in c)
    (project / "proj" / "tasks.py").unlink()
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=tasks, type=types.FileChangeType.Deleted)]
        )
    )
    replace(client, tasks, TASKS + "\n")
    await asyncio.sleep(0.5)
    # Still serving.
    hovered = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri=tasks), types.Position(4, 6))
    )
    assert hovered is None or isinstance(hovered.contents, types.MarkupContent)


@pytest.fixture
def many_files(project: Path) -> Path:
    """Enough files that a cold load reads them in worker processes."""
    from celerylint.store import PARALLEL_THRESHOLD

    for i in range(PARALLEL_THRESHOLD + 10):
        (project / "proj" / f"m{i}.py").write_text(f"X = {i}\n")
    return project


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "celerylint", "server"])
)
async def cold_client(lsp_client: LanguageClient, many_files: Path):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=many_files.as_uri()
        )
    )
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_cold_load_in_worker_processes_finishes(
    cold_client: LanguageClient, many_files: Path
) -> None:
    """The server runs threads: its workers must not be forked from it (they hung)."""
    tasks = uri(many_files, "tasks.py")
    open_file(cold_client, tasks, TASKS)
    assert "CL804" in await until(cold_client, tasks, lambda c: "CL804" in c, seconds=60)
