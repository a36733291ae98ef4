"""Transport guards around python-quickbooks and intuit-oauth: https only (plain http to loopback), a default
timeout on every request, and the HTTP status and Retry-After the library drops."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import requests
from intuitlib.client import AuthClient
from quickbooks import QuickBooks
from requests_oauthlib import OAuth2Session

from resources.quickbooks.errors import QboAuthError


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_transport(url: str, what: str) -> str:
    """Allow https anywhere and plain http only to loopback; return the url."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        return url
    raise ValueError(f"{what} must use https (plain http only for loopback addresses): {url}")


def _loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and is_loopback(parts.hostname or "")


class QboSession(OAuth2Session):
    """The session python-quickbooks sends through, with a default timeout."""

    def __init__(self, *args: Any, request_timeout: float, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.request_timeout = request_timeout

    def request(self, method: str, url: str, data: Any = None, headers: Any = None,  # type: ignore[override]
                withhold_token: bool = False, client_id: Any = None, client_secret: Any = None,
                files: Any = None, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.request_timeout)
        if _loopback_http(url):  # python-quickbooks already set "Authorization: Bearer ..."
            return requests.Session.request(self, method, url, data=data, headers=headers, files=files,
                                            **kwargs)
        return super().request(method, url, data=data, headers=headers, withhold_token=withhold_token,
                               client_id=client_id, client_secret=client_secret, files=files, **kwargs)


class QboAuthClient(AuthClient):
    """intuit-oauth's AuthClient (a requests.Session) with a default timeout on discovery and token calls."""

    def __init__(self, *args: Any, request_timeout: float, **kwargs: Any):
        self.request_timeout = request_timeout  # before super().__init__, which fetches the discovery doc
        super().__init__(*args, **kwargs)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.request_timeout)
        return super().request(method, url, *args, **kwargs)


class QboQuickBooks(QuickBooks):
    """python-quickbooks with a timed session and the last HTTP status kept (the library drops it)."""

    request_timeout: float = 30.0
    last_status: int | None = None
    last_retry_after: str | None = None

    def _start_session(self) -> str | None:
        if self.auth_client.access_token is None:  # the library would refresh here without persisting
            raise QboAuthError("internal: start the QuickBooks session with an access token from the store")
        self.session = QboSession(self.auth_client.client_id, request_timeout=self.request_timeout,
                                token={"access_token": self.auth_client.access_token,
                                       "refresh_token": self.auth_client.refresh_token})
        return self.auth_client.refresh_token

    def process_request(self, request_type: str, url: str, headers: Any = "", params: Any = "",
                        data: Any = "") -> requests.Response:
        self.last_status = self.last_retry_after = None
        response = super().process_request(request_type, url, headers=headers, params=params, data=data)
        self.last_status = response.status_code
        self.last_retry_after = response.headers.get("Retry-After")
        return response

