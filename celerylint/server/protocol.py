"""The LSP wiring: documents in, diagnostics out; actions, hover and definition.

Checks run on one worker thread (the model is not shared between threads:
hover and definition run there too), debounced while the user types. Every
handler is wrapped: a bug or a bad file must never take the server down.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from celerylint import __version__
from celerylint.diagnostics import Diagnostic
from celerylint.server import actions, documents
from celerylint.server.convert import from_position, to_lsp, to_range
from celerylint.server.hover import hover_text, tasks_named
from celerylint.server.linting import CONFIG_FILES, Linter

log = logging.getLogger(__name__)
DEBOUNCE = 0.15  # seconds of quiet typing before a check
T = TypeVar("T")


class CeleryLintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("celerylint", __version__)
        self.linter: Optional[Linter] = None
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="celerylint")
        self.pending: Optional[asyncio.Task[None]] = None
        self.lock = asyncio.Lock()
        # What was published last per URI: only changes are sent again.
        self.published: dict[str, list[types.Diagnostic]] = {}
        self.shown_problem: Optional[str] = None

    def lines(self, path: str) -> list[str]:
        return documents.lines_of(self.workspace, path)

    async def on_worker(self, call: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.worker, call)

    def schedule(self, delay: float = DEBOUNCE) -> None:
        """Check after `delay` seconds unless asked again meanwhile (typing)."""
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()
        self.pending = asyncio.ensure_future(self._later(delay))

    async def _later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self.lock:
            # Shielded: a check that started finishes and publishes.
            await asyncio.shield(self._check())

    async def _check(self) -> None:
        linter = self.linter
        if linter is None:
            return
        # Once more if files changed on disk while checking (a checkout mid-check).
        for _ in range(2):
            self.show_config_problem(linter)
            overlay = documents.overlay(self.workspace)
            try:
                snapshot = await self.on_worker(functools.partial(linter.check, overlay))
            except Exception:
                log.exception("celerylint: the check failed")
                return
            started = time.perf_counter()
            self.publish(snapshot.by_path)
            spent = snapshot.timings
            # In the editor's LSP log (Neovim: lsp.log at level "info"; VS Code: the output panel).
            self.window_log_message(
                types.LogMessageParams(
                    types.MessageType.Log,
                    f"celerylint: checked in {spent.total:.3f} s (store {spent.store:.3f}, "
                    f"model {spent.model:.3f}, rules {spent.rules:.3f}, "
                    f"publish {time.perf_counter() - started:.3f})",
                )
            )
            # Off the keystroke's path: the cache is written and the disk stat'ed now.
            try:
                await self.on_worker(linter.persist)
                if not await self.on_worker(linter.changed_on_disk):
                    return
            except Exception:
                log.exception("celerylint: the facts cache could not be written")
                return

    def show_config_problem(self, linter: Linter) -> None:
        """A broken configuration, once each time it changes (the defaults are used)."""
        if linter.config_problem != self.shown_problem:
            self.shown_problem = linter.config_problem
            if linter.config_problem:
                self.window_show_message(
                    types.ShowMessageParams(types.MessageType.Warning, linter.config_problem)
                )

    def publish(self, by_path: dict[str, list[Diagnostic]]) -> None:
        codec = self.workspace.position_codec
        for path, uri in documents.open_paths(self.workspace).items():
            lines = self.lines(path)
            shown = [to_lsp(codec, lines, d, self.lines) for d in by_path.get(path, [])]
            if self.published.get(uri) == shown:
                continue
            self.published[uri] = shown
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=shown)
            )

    def clear(self, uri: str) -> None:
        self.published.pop(uri, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )


server = CeleryLintServer()


def guarded(
    handler: Callable[..., Awaitable[Any]],
) -> Callable[..., Awaitable[Any]]:
    """Log a handler's failure and answer nothing, rather than crash."""

    @functools.wraps(handler)
    async def wrapper(ls: CeleryLintServer, params: Any) -> Any:
        try:
            return await handler(ls, params)
        except Exception:
            log.exception("celerylint: %s failed", handler.__name__)
            return None

    return wrapper


def _is_config(uri: str) -> bool:
    path = documents.path_of(uri)
    return path is not None and os.path.basename(path) in CONFIG_FILES


@server.feature(types.INITIALIZED)
@guarded
async def initialized(ls: CeleryLintServer, params: types.InitializedParams) -> None:
    root = ls.workspace.root_path or os.getcwd()
    ls.linter = await ls.on_worker(lambda: Linter(Path(root)))
    ls.schedule(0)
    await _watch_files(ls)


async def _watch_files(ls: CeleryLintServer) -> None:
    """Ask the client to report files changed outside the editor, if it can."""
    watching = ls.client_capabilities.workspace
    dynamic = watching and watching.did_change_watched_files
    if dynamic and dynamic.dynamic_registration:
        # Files changed outside the editor (a checkout, a formatter) and the configuration.
        watchers = [
            types.FileSystemWatcher(glob_pattern=pattern)
            for pattern in ("**/*.py", "**/pyproject.toml", "**/celerylint.toml", "**/*.{yml,yaml}")
        ]
        try:
            await ls.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id="celerylint-watch",
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=types.DidChangeWatchedFilesRegistrationOptions(
                                watchers=watchers
                            ),
                        )
                    ]
                )
            )
        except Exception:  # the client said it could, then refused: edits still arrive
            log.warning("celerylint: the client does not watch files for us")


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
@guarded
async def did_open(ls: CeleryLintServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.schedule(0)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
@guarded
async def did_change(ls: CeleryLintServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule()


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
@guarded
async def did_save(ls: CeleryLintServer, params: types.DidSaveTextDocumentParams) -> None:
    if ls.linter is not None:
        ls.linter.forget_files()  # a save may be a new file (save as)
        if _is_config(params.text_document.uri):
            await ls.on_worker(ls.linter.reload)
    ls.schedule(0)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
@guarded
async def did_close(ls: CeleryLintServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.clear(params.text_document.uri)
    ls.schedule()


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
@guarded
async def did_change_watched(
    ls: CeleryLintServer, params: types.DidChangeWatchedFilesParams
) -> None:
    if ls.linter is not None:
        ls.linter.disk_changed()
        if any(change.type != types.FileChangeType.Changed for change in params.changes):
            ls.linter.forget_files()  # created or deleted: the walk is stale
        if any(_is_config(change.uri) for change in params.changes):
            await ls.on_worker(ls.linter.reload)
    ls.schedule()


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, types.CodeActionKind.SourceFixAll]
    ),
)
@guarded
async def code_action(
    ls: CeleryLintServer, params: types.CodeActionParams
) -> list[types.CodeAction]:
    path = documents.path_of(params.text_document.uri)
    if path is None or ls.linter is None:
        return []
    findings = ls.linter.latest.by_path.get(path, [])
    codec = ls.workspace.position_codec
    lines = ls.lines(path)
    wanted = params.context.only
    found: list[types.CodeAction] = []
    if not wanted or "quickfix" in {_kind(kind) for kind in wanted}:
        for finding in findings:
            shown = to_lsp(codec, lines, finding, ls.lines)
            if _touches(shown.range, params.range):
                found.extend(actions.fix_actions(codec, ls.lines, finding, shown))
    if not wanted or any(actions.FIX_ALL.value.startswith(_kind(kind)) for kind in wanted):
        everything = actions.fix_all_action(codec, ls.lines, findings)
        if everything is not None:
            found.append(everything)
    return found


def _kind(kind: Any) -> str:
    return str(getattr(kind, "value", kind))


def _touches(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _cursor(
    ls: CeleryLintServer, uri: str, at: types.Position
) -> Optional[tuple[str, int, int, str]]:
    """(path, 1-based line, character column, the line's text) of a client position."""
    path = documents.path_of(uri)
    if path is None:
        return None
    lines = ls.lines(path)
    line, col = from_position(ls.workspace.position_codec, lines, at)
    text = lines[line - 1].rstrip("\r\n") if line <= len(lines) else ""
    return path, line, col, text


@server.feature(types.TEXT_DOCUMENT_HOVER)
@guarded
async def hover(ls: CeleryLintServer, params: types.HoverParams) -> Optional[types.Hover]:
    linter = ls.linter
    cursor = _cursor(ls, params.text_document.uri, params.position)
    if linter is None or cursor is None or linter.latest.project is None:
        return None
    project = linter.latest.project
    path, line, col, text = cursor
    shown = await ls.on_worker(
        lambda: hover_text(project, path, line, col, text, linter.config.root)
    )
    if shown is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=shown))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
@guarded
async def definition(
    ls: CeleryLintServer, params: types.DefinitionParams
) -> Optional[list[types.Location]]:
    linter = ls.linter
    cursor = _cursor(ls, params.text_document.uri, params.position)
    if linter is None or cursor is None or linter.latest.project is None:
        return None
    project = linter.latest.project
    _path, _line, col, text = cursor
    tasks = await ls.on_worker(lambda: tasks_named(project, text, col))
    codec = ls.workspace.position_codec
    return [
        types.Location(
            uri=documents.uri_of(task.path), range=to_range(codec, ls.lines(task.path), task.span)
        )
        for task in tasks
    ] or None


def serve() -> None:
    server.start_io()
