"""What the tests, the demo and the benchmarks share: reading what a run of the action left behind."""

from __future__ import annotations


def parse_outputs(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file back the way the runner does (its own parser, not the action's writer)."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            i += 1
            while i < len(lines) and lines[i].removesuffix("\r") != delimiter:
                body.append(lines[i])
                i += 1
            if i >= len(lines):
                raise ValueError(f"output {name!r}: delimiter {delimiter!r} never closes")
            outputs[name] = "\n".join(body)
        else:
            name, _, value = line.partition("=")
            outputs[name] = value
        i += 1
    return outputs
