"""Settings that change while the service runs.

A setting whose config schema says ``"x-svcforge-reload": true`` is marked
in the generated ``Settings`` (``json_schema_extra``); ``SettingsReloader``
reads the settings again on SIGHUP and when the env file changes, and:

- when they are valid, applies the reloadable settings that changed (a new
  settings object: the others keep their running values) and calls every
  subscriber with it; a changed setting that is not reloadable is logged as
  "needs a restart" and keeps its running value;
- when they are not, keeps every running value and logs each problem.

Log lines name variables, never values, so secrets stay out of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

import structlog
from pydantic import BaseModel

from svcforge.settings import SettingsError

__all__ = ["RELOAD", "SettingsReloader", "reloadable_paths"]

RELOAD = "x-svcforge-reload"
"""The config schema annotation (and ``json_schema_extra`` key) of a setting
that is re-read while the service runs."""

S = TypeVar("S", bound=BaseModel)
Subscriber = Callable[[S], Awaitable[None] | None]

_log = structlog.get_logger("svcforge.settings")


def _marked(info: Any) -> bool:
    extra = info.json_schema_extra
    return isinstance(extra, dict) and extra.get(RELOAD) is True


def _fields(
    model: type[BaseModel], path: tuple[str, ...], marked: bool
) -> Iterator[tuple[tuple[str, ...], bool]]:
    for name, info in model.model_fields.items():
        here = marked or _marked(info)
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from _fields(annotation, (*path, name), here)
        else:
            yield (*path, name), here


def reloadable_paths(model: type[BaseModel]) -> frozenset[tuple[str, ...]]:
    """The settings of ``model`` (as attribute paths) that may change while
    running: marked themselves, or inside a marked group."""
    return frozenset(path for path, marked in _fields(model, (), False) if marked)


def _value(settings: BaseModel, path: tuple[str, ...]) -> Any:
    value: Any = settings
    for name in path:
        value = getattr(value, name)
    return value


def _with(settings: Any, path: tuple[str, ...], value: Any) -> Any:
    """``settings`` with the value at ``path`` replaced (frozen models)."""
    head, *rest = path
    if rest:
        value = _with(getattr(settings, head), tuple(rest), value)
    return settings.model_copy(update={head: value})


class SettingsReloader(Generic[S]):
    """Re-reads ``settings`` (with ``load``, by default its class's
    ``load(env_file=...)``) on SIGHUP, when ``env_file`` changes (checked
    every ``watch_interval_s``; None: only on SIGHUP) or when ``reload()``
    is called.  ``current`` is the settings in force; ``subscribe(callback)``
    (also a decorator) has ``callback(settings)`` called, awaited when it is
    a coroutine, after each reload that changed something.

    It is one of the runner's workers: started with the service, stopped
    with it."""

    name = "settings reload"

    def __init__(
        self,
        settings: S,
        *,
        env_file: str | Path | None = ".env",
        load: Callable[[], S] | None = None,
        watch_interval_s: float | None = 0.5,
    ) -> None:
        self.current: S = settings
        self.env_file = None if env_file is None else Path(env_file)
        self.watch_interval_s = watch_interval_s
        self._load = load or self._load_class
        self._reloadable = reloadable_paths(type(settings))
        self._paths = [p for p, _ in _fields(type(settings), (), False)]
        self._subscribers: list[Subscriber[S]] = []
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._watching: asyncio.Task[None] | None = None
        self._signal = False
        # As the settings were loaded: a change before the watch starts counts.
        self._seen = self._stamp()

    def _load_class(self) -> S:
        load = getattr(type(self.current), "load", None)
        if load is None:
            raise TypeError(f"{type(self.current).__name__} has no load()")
        loaded: S = load(env_file=self.env_file)
        return loaded

    def subscribe(self, callback: Subscriber[S]) -> Subscriber[S]:
        self._subscribers.append(callback)
        return callback

    def variable(self, path: tuple[str, ...]) -> str:
        prefix = str(type(self.current).model_config.get("env_prefix", ""))
        return (prefix + "__".join(path)).upper()

    async def reload(self, reason: str = "requested") -> bool:
        """Read the settings again; whether anything was applied."""
        async with self._lock:
            self._seen = self._stamp()  # the watch need not read it again
            try:
                fresh = self._load()
            except SettingsError as exc:
                for problem in exc.problems:
                    _log.error(
                        "settings reload: invalid setting",
                        variable=problem.variable,
                        problem=problem.message,
                    )
                _log.error(
                    "settings not reloaded: the running values are kept",
                    reason=reason,
                    problems=len(exc.problems),
                )
                return False
            return await self._apply(fresh, reason)

    async def _apply(self, fresh: S, reason: str) -> bool:
        old = self.current
        changed = [p for p in self._paths if _value(old, p) != _value(fresh, p)]
        restart = [p for p in changed if p not in self._reloadable]
        for path in restart:
            _log.warning(
                "setting changed; needs a restart", variable=self.variable(path)
            )
        applied = [p for p in changed if p in self._reloadable]
        if not applied:
            _log.info("settings reloaded: nothing to apply", reason=reason)
            return False
        new: S = old
        for path in applied:
            new = _with(new, path, _value(fresh, path))
        self.current = new
        _log.info(
            "settings reloaded",
            reason=reason,
            variables=[self.variable(p) for p in applied],
        )
        for callback in list(self._subscribers):
            try:
                result = callback(new)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                _log.exception("settings reload subscriber failed")
        return True

    # -- worker -----------------------------------------------------------

    def _spawn(self, reason: str) -> None:
        task = asyncio.ensure_future(self.reload(reason))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        if not self._signal:
            try:
                loop.add_signal_handler(signal.SIGHUP, self._spawn, "SIGHUP")
                self._signal = True
            except (NotImplementedError, RuntimeError, ValueError):
                _log.warning("no SIGHUP handler here: settings reload on change only")
        if self._watching is None and self.watch_interval_s and self.env_file:
            self._watching = asyncio.ensure_future(self._watch(self.watch_interval_s))

    async def stop(self, timeout: float) -> None:
        if self._signal:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            self._signal = False
        watching, self._watching = self._watching, None
        if watching is not None:
            watching.cancel()
        for task in [*self._tasks, *([watching] if watching else [])]:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout)

    def problem(self) -> str | None:
        return None

    def _stamp(self) -> tuple[int, int, int] | None:
        if self.env_file is None:
            return None
        try:
            st = os.stat(self.env_file)
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    async def _watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            stamp = self._stamp()
            if stamp != self._seen:
                self._seen = stamp
                await self.reload(f"{self.env_file} changed")
