"""A faithful local simulator of GitHub's Releases REST API, for tests and demos.

`Sandbox` serves the REST API on one port, uploads under its /api/uploads (as GHES does), with
knobs for read-after-write lag, scripted and random faults (a `Hostile` answer among
them: any status, headers or body, slow or huge), a racing "drafter" workflow, and a
request log. HTML-ish URLs (html_url, browser_download_url) use the API base as the
stand-in for https://github.com, so download links are servable. `Trap` is another
origin on loopback that records whoever reaches it.
"""

from .core import KINDS, ROUTES, Fault, Hostile, Sandbox
from .state import ApiError, github_asset_name, valid_ref_name
from .trap import Trap

__all__ = [
    "KINDS",
    "ROUTES",
    "ApiError",
    "Fault",
    "Hostile",
    "Sandbox",
    "Trap",
    "github_asset_name",
    "valid_ref_name",
]
