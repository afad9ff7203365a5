"""The HTTP side every debrid service shares: Bearer key, a request rate, retries on 429/5xx
and timeouts that honour `Retry-After`, errors that say what the service said, ranged reads.

Only `debrid/providers/*` use it; each provider passes `describe` (a failed response in the
service's own words) or `refuse` (its JSON error body as the right error): `ProviderError`s.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import Any, Self

import httpx

from torrentstack.config.debrid import ProviderSettings
from torrentstack.debrid.errors import NotFoundRemote, ProviderError

logger = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_WAIT = 60.0  # a Retry-After longer than this is not waited for: the call fails
Describe = Callable[[httpx.Response], str]
Sleep = Callable[[float], Awaitable[None]]
Refuse = Callable[[str, object, int], ProviderError]  # (provider, decoded body, HTTP status)


def describe_json(*keys: str) -> Describe:
    """A `describe` that reads the first of `keys` present in a JSON object body."""

    def describe(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            for key in keys:
                value: Any = body
                for part in key.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if isinstance(value, str | int) and value != "":
                    return str(value)
        text = response.text.strip()
        return text[:200] if text else f"HTTP {response.status_code}"

    return describe


def coded_refusal(
    provider: str,
    code: str,
    detail: str,
    status: int,
    *,
    messages: Mapping[str, str],
    kinds: Mapping[str, type[ProviderError]],
    retryable: Collection[str],
) -> ProviderError:
    """The error a service's refusal `code` (with its `detail`) stands for: its words from
    `messages`, its class from `kinds` (`NotFoundRemote` for a 404), retryable if `code` is
    or the status is."""
    kind = kinds.get(code)
    if kind is None:
        kind = NotFoundRemote if status == 404 else ProviderError
    message = messages.get(code) or (f"{code}: {detail}" if code and detail else code or detail)
    if not message and status in (401, 403):
        message = f"the API key was refused (HTTP {status}): check the provider's api_key"
    again = status in RETRIED_STATUSES or code in retryable
    return kind(provider, message or f"HTTP {status}", status=status, retryable=again)


def status_text(response: httpx.Response) -> str:
    """A `describe` for services whose bodies say nothing readable: the HTTP status."""
    return f"HTTP {response.status_code}"


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds to wait before asking again: `Retry-After` (seconds or an HTTP date)."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return default
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


class ServiceHttp:
    """Requests to one service: at most `rate` per second, `retries` more tries when the
    service is busy or away. A failed response is `refuse`d if given and its body is JSON,
    otherwise it is an error with `describe`'s words."""

    def __init__(
        self,
        provider: str,
        base_url: str,
        api_key: str,
        *,
        rate: float,
        describe: Describe = status_text,
        refuse: Refuse | None = None,
        retries: int = 3,
        timeout: float = 30.0,
        backoff: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        auth_header: bool = True,
    ) -> None:
        self.provider = provider
        self.describe = describe
        self.refuse = refuse
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()
        headers = {"User-Agent": "torrentstack-debrid"}
        if api_key and auth_header:
            headers["Authorization"] = f"Bearer {api_key}"
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout
        )

    @classmethod
    def for_settings(
        cls,
        settings: ProviderSettings,
        public_url: str,
        *,
        sleep: Sleep,
        describe: Describe = status_text,
        refuse: Refuse | None = None,
        retries: int = 3,
    ) -> Self:
        """Requests to the service a provider entry names (its own URL, else `public_url`)."""
        return cls(
            settings.label,
            settings.api_url or public_url,
            settings.api_key,
            rate=settings.rate_limit,
            describe=describe,
            refuse=refuse,
            retries=retries,
            sleep=sleep,
        )

    async def _pace(self) -> None:
        async with self._lock:
            now = time.monotonic()
            wait = self._next - now
            self._next = max(now, self._next) + self._interval
        if wait > 0:
            await self._sleep(wait)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The service's 2xx response to `method path`; otherwise a `ProviderError` with the
        service's words (`NotFoundRemote` for 404)."""
        attempt = 0
        while True:
            await self._pace()
            try:
                response = await self.client.request(method, path.lstrip("/"), **kwargs)
            except httpx.HTTPError as exc:
                if attempt < self.retries:
                    attempt += 1
                    await self._sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise ProviderError(
                    self.provider, f"unreachable ({type(exc).__name__})", retryable=True
                ) from exc
            status = response.status_code
            if status < 400:
                return response
            if status in RETRIED_STATUSES and attempt < self.retries:
                wait = retry_after(response, self.backoff * 2**attempt)
                if wait <= MAX_RETRY_WAIT:
                    attempt += 1
                    logger.info("%s: HTTP %s, retrying in %.1f s", self.provider, status, wait)
                    await self._sleep(wait)
                    continue
            raise self.error(response)

    def error(self, response: httpx.Response) -> ProviderError:
        status = response.status_code
        if self.refuse is not None:
            try:
                body = response.json()
            except ValueError:
                pass  # not JSON: described below
            else:
                return self.refuse(self.provider, body, status)
        message = self.describe(response)
        if status == 404:
            return NotFoundRemote(self.provider, message, status=status)
        return ProviderError(
            self.provider, message, status=status, retryable=status in RETRIED_STATUSES
        )

    async def stream(
        self, url: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """The bytes of a direct link from `start` to `end` (inclusive), without the key."""
        headers = {}
        if start or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            async with (
                httpx.AsyncClient(timeout=self.client.timeout) as plain,
                plain.stream("GET", url, headers=headers, follow_redirects=True) as response,
            ):
                if response.status_code >= 400:
                    await response.aread()
                    raise self.error(response)
                if start and response.status_code != 206:
                    raise ProviderError(self.provider, "the link does not serve byte ranges")
                async for chunk in response.aiter_bytes():
                    yield chunk
        except httpx.HTTPError as exc:
            raise ProviderError(
                self.provider, f"download failed ({type(exc).__name__})", retryable=True
            ) from exc

    async def reachable(self, url: Awaitable[str]) -> bool:
        """Whether the direct link `url` resolves to still serves its first byte; a 404 or 410
        (from asking for the link or from the link) says it is gone, other errors raise."""
        try:
            async for _ in self.stream(await url, 0, 0):
                pass
        except ProviderError as exc:
            if exc.status in (404, 410):
                return False
            raise
        return True

    async def close(self) -> None:
        await self.client.aclose()
