"""Where the current request came from, so services can audit without taking a request."""

from contextvars import ContextVar

request_ip: ContextVar[str | None] = ContextVar("request_ip", default=None)
