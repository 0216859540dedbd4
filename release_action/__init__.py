"""safe-release-action: create or update a GitHub release so that racing runs converge."""

__version__ = "1.0.0"
