"""Opening Chroma, embedded or server, and what its failures look like to the user.

Every command and bot reaches the store through `open_client`, so "which store, and why it
cannot be opened" is said the same way everywhere (`StoreUnavailable`, `describe_location`,
`empty_store_message`, and each failure as `ingest.messages.describe_error` tells it, or,
when what answers at CITEBOT_CHROMA_URL is not a Chroma 1.x server, that it is not one);
`is_store_error` tells a Chroma failure from a bug.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from config import Settings
from ingest.messages import describe_error


class StoreUnavailable(RuntimeError):
    """The Chroma store cannot be reached or opened; the message says which one and why."""


def describe_location(settings: Settings) -> str:
    return settings.chroma_url or str(settings.chroma_path)


def empty_store_message(settings: Settings, collection: str | None = None) -> str:
    """What every reading command says, once, when the store holds no article: where it
    looked (a store made by accident in another folder is the usual cause) and what to run."""
    where = settings.chroma_url or str(settings.chroma_path.resolve())
    return (
        f"the store at {where} (collection {collection or settings.collection!r}) is empty: "
        "add articles with `citebot ingest PATH…`, or point CITEBOT_CHROMA_PATH "
        "(or CITEBOT_CHROMA_URL) at the store you ingested into"
    )


def open_client(settings: Settings) -> Any:
    """A Chroma client: `HttpClient` when CITEBOT_CHROMA_URL is set, else the embedded store."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        parsed = urlparse(settings.chroma_url)
        host = parsed.hostname or "localhost"
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        try:
            client = chromadb.HttpClient(
                host=host, port=port, ssl=parsed.scheme == "https", settings=chroma_settings
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises several types for a dead server
            impostor = _not_chroma(parsed.scheme, host, port)
            if impostor:
                raise StoreUnavailable(
                    f"CITEBOT_CHROMA_URL={settings.chroma_url} is not a Chroma server: {impostor}"
                ) from exc
            raise StoreUnavailable(
                f"cannot reach the Chroma server at {settings.chroma_url} "
                f"(CITEBOT_CHROMA_URL): {describe_error(exc)}"
            ) from exc
        return client
    where = f"the Chroma store at {settings.chroma_path} (CITEBOT_CHROMA_PATH)"
    if settings.chroma_path.exists() and not settings.chroma_path.is_dir():
        raise StoreUnavailable(f"cannot open {where}: it is a file; the store is a folder")
    try:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as exc:
        raise StoreUnavailable(f"cannot open {where}: {exc}") from exc


def _not_chroma(scheme: str, host: str, port: int) -> str | None:
    """What answers at the address when it is not a Chroma 1.x server (another service on
    that port, or a Chroma before 1.0, which has only the v1 API), else None. chromadb says
    only what that server's body says then (`ValueError: <!DOCTYPE HTML>`)."""
    import httpx

    base = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
    try:
        answer = httpx.get(f"{base}/api/v2/heartbeat", timeout=5)
    except httpx.HTTPError:
        return None  # nothing answers: chromadb's own words say so
    if _is_heartbeat(answer):
        return None  # a Chroma server that failed in another way
    try:
        if _is_heartbeat(httpx.get(f"{base}/api/v1/heartbeat", timeout=5)):
            return (
                "it is a Chroma server older than 1.0 (v1 API only); "
                "run a Chroma server of the chromadb version citebot uses (1.0 or newer)"
            )
    except httpx.HTTPError:
        pass
    return (
        f"it answers HTTP {answer.status_code} to /api/v2/heartbeat "
        "(another service on that port?); check the host and port"
    )


def _is_heartbeat(response: Any) -> bool:
    """A Chroma heartbeat: 200 and `{"nanosecond heartbeat": …}`."""
    try:
        body = response.json()
    except ValueError:
        return False
    return response.status_code == 200 and isinstance(body, dict) and "nanosecond heartbeat" in body


def is_store_error(exc: BaseException) -> bool:
    """True when `exc` was raised by Chroma: its own errors, or its HTTP client's."""
    import chromadb.errors
    import httpx

    return isinstance(exc, chromadb.errors.ChromaError | httpx.HTTPError)
