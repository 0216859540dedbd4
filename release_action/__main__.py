"""`python -m release_action`: run the action (the same as the container's entrypoint)."""

from release_action.main import main

if __name__ == "__main__":
    raise SystemExit(main())
