"""The container's entry point: run the action (see release_action.main)."""

from release_action.main import main

if __name__ == "__main__":
    raise SystemExit(main())
