"""What the server is still doing because of the requests it answered: for tests that check "nothing more happens".

Slack wants an answer within 3 seconds, so the bot acks first and works
after: Bolt runs the rest of a listener in a task of its own, and a listener
may start more (a counter redraw a second later, a write after "Saving…").
A test that wants to show that a duplicate click posted nothing cannot wait
a fixed time for that work to end: on a loaded machine it may not have run
yet, and the test would pass having proved nothing.

`RequestWork` is installed on the test's event loop and on the server app.
Every task created while the server handles a request, and every task those
tasks create (a task copies the context it is created in, so the marker
travels with it), is recorded; `idle()` returns once all of them are done.
Long-lived tasks started at start-up (the dispatcher, housekeeping) are
created outside any request and are not waited for.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import web

_HANDLING: contextvars.ContextVar[RequestWork | None] = contextvars.ContextVar("handling_request", default=None)


class RequestWork:
    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: Any = None

    def install(self, app: web.Application) -> None:
        """Record the tasks of `app`'s requests, on the running loop (call before the server starts)."""
        self._loop = asyncio.get_running_loop()
        self._previous = self._loop.get_task_factory()
        self._loop.set_task_factory(self._factory)
        app.middlewares.append(self._middleware)

    def uninstall(self) -> None:
        if self._loop is not None:
            self._loop.set_task_factory(self._previous)
            self._loop = None

    def _factory(self, loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], **kwargs: Any) -> asyncio.Task[Any]:
        if self._previous is not None:
            task = self._previous(loop, coro, **kwargs)
        else:
            task = asyncio.Task(coro, loop=loop, **kwargs)
        context = kwargs.get("context")
        owner = context.get(_HANDLING) if context is not None else _HANDLING.get()
        if owner is self:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return task

    @web.middleware
    async def _middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        marker = _HANDLING.set(self)
        try:
            return await handler(request)
        finally:
            _HANDLING.reset(marker)

    async def idle(self) -> None:
        """Return once every task started for the requests answered so far has finished (whatever its outcome)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
