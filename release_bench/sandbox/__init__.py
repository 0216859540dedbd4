"""A faithful local simulator of GitHub's Releases REST API, for tests and demos.

`Sandbox` serves the REST API on one port and the uploads host on another, with
knobs for read-after-write lag, scripted and random faults, a racing "drafter"
workflow, and a request log. HTML-ish URLs (html_url, browser_download_url) use the
API base as the stand-in for https://github.com, so download links are servable.
"""

from .core import KINDS, ROUTES, Fault, Sandbox
from .state import ApiError, github_asset_name, valid_ref_name

__all__ = ["KINDS", "ROUTES", "ApiError", "Fault", "Sandbox", "github_asset_name", "valid_ref_name"]
