"""A guarded HTTP client for web ingestion: URLs from chat must not reach internal services.

Every connection goes through `_GuardedBackend`, an httpcore network backend that resolves
the host name itself (getaddrinfo, or a resolver stub in tests), refuses the connection when
any resolved address is private, loopback, link-local, multicast, reserved or a cloud
metadata address, and then connects to the very address it checked. Because the check sits
where sockets are opened, it covers the first request and every redirect hop alike, and a
DNS answer that changes between "check" and "connect" (DNS rebinding) cannot slip through.
Answers are also cached for the client's lifetime (one ingest batch), so a host keeps the
address it was checked with. Proxies from the environment are ignored: a proxy would make
the check meaningless.

Where private addresses are allowed (the operator's CLI, `watch`, CITEBOT_ALLOW_PRIVATE_URLS=1),
link-local and cloud metadata addresses are still refused, and each redirect hop is judged on
its own: a hop may go into the private network only when the host that sent the redirect is
itself private (a public site cannot steer citebot inside).

Bounds, so that no response can exhaust memory or time:
- size: the body is decoded here, not by httpx, with zlib's `max_length`, so citebot never
  holds more than CITEBOT_MAX_DOWNLOAD_MB (plus one network read) however well it compresses;
  only `identity`, `gzip` and `deflate` are accepted, one layer at most (stacked or other
  encodings, such as zstd or br, are refused unread);
- time: one deadline per fetch (3 × CITEBOT_HTTP_TIMEOUT), redirects, headers and body
  included, enforced on every socket read and write (`_DeadlineStream`), so a server that
  trickles bytes cannot hold a fetch open.

Redirects are followed by hand (at most `MAX_REDIRECTS`, http/https only), and every failure
becomes a `FetchError` whose message is the reason shown to the user.

One module per part: `_addresses` (the rule, and resolution), `_network` (the guarded
connections and the deadline), `_body` (the bounded decoder), `_client` (`GuardedClient`).
"""

from ingest.fetch._addresses import (
    METADATA_ADDRESSES,
    AddressPolicy,
    IPAddress,
    Resolver,
    address_problem,
    never_allowed,
    system_resolver,
)
from ingest.fetch._client import (
    MAX_REDIRECTS,
    USER_AGENT,
    FetchResult,
    GuardedClient,
)
from ingest.fetch._errors import BlockedAddress, FetchError

__all__ = [
    "MAX_REDIRECTS",
    "METADATA_ADDRESSES",
    "USER_AGENT",
    "AddressPolicy",
    "BlockedAddress",
    "FetchError",
    "FetchResult",
    "GuardedClient",
    "IPAddress",
    "Resolver",
    "address_problem",
    "never_allowed",
    "system_resolver",
]
