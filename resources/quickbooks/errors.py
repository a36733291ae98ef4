"""QuickBooks errors and the QuickBooks error codes the client acts on."""

from __future__ import annotations

import requests

DUPLICATE_DOC_NUMBER = (6140, 6210)
DUPLICATE_NAME = 6240
STALE_OBJECT = 5010
NOT_FOUND = 610
THROTTLED = 3001
UNCERTAIN_ERRORS = (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError)


class QboError(RuntimeError):
    """A QuickBooks call failed for good. `code` is QuickBooks' error code (0 when there is none)."""

    def __init__(self, message: str, code: int = 0, detail: str = ""):
        super().__init__(message)
        self.code, self.detail = code, detail


class QboAuthError(QboError):
    """The app's tokens were rejected: re-authorize the app and set QBO_REFRESH_TOKEN."""


class QboUnavailable(QboError):
    """Throttling, server errors or timeouts outlasted the retries."""


class QboConflictError(QboError):
    """The invoice is not in the state the caller expected (e.g. changed since approval)."""



class QboRefused(QboError):
    """Refused before anything was written: QuickBooks would reject the invoice as the company is set up
    (multicurrency off, a customer in another currency, a missing or unknown tax code). One line naming the client,
    month and the setting or contract key."""
