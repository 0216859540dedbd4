"""`python -m release_bench.action_files [--check]`: write what the action files say about inputs and
outputs from their one declaration, release_action/contract.py.

Generated, each between a `BEGIN generated BLOCK` and an `END generated BLOCK` marker line
(a YAML comment, or an HTML comment in the README); everything outside the markers is left
byte for byte as it is:

* action.yml: its `inputs:` and `outputs:` (block `interface`);
* portable/action.yml: the same, each output taken from the command's step
  (`portable-interface`), and that step's `INPUT_*: ${{ inputs.* }}` lines (`input-env`);
* README.md: the Inputs and Outputs tables (`inputs-table`, `outputs-table`).

With --check it writes nothing, and exits 1 naming the files that differ from what it would
write. tests/test_contract.py runs the same comparison.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from release_action.contract import INPUTS, OUTPUTS, Input, Output

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "python -m release_bench.action_files"
# The files with generated parts, and the blocks each must hold.
FILES = {
    "action.yml": ("interface",),
    "portable/action.yml": ("portable-interface", "input-env"),
    "README.md": ("inputs-table", "outputs-table"),
}
BEGIN = re.compile(r"^(?P<indent> *)(?:#|<!--) BEGIN generated (?P<block>[a-z-]+)\b.*$")

Inputs = Mapping[str, Input]
Outputs = Mapping[str, Output]


# Words YAML 1.1 reads as something other than a string.
NOT_STRINGS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def scalar(text: str) -> str:
    """`text` as a YAML scalar: plain where that is surely read back as the same string, else single-quoted.

    (tests/test_contract.py reads the files back and compares every value with the declaration.)"""
    if not text.isprintable():
        raise ValueError(f"not one printable line: {text!r}")
    plain = (
        re.fullmatch(r"[A-Za-z$][^#]*", text)
        and ": " not in text
        and not text.endswith((":", " "))
        and text.lower() not in NOT_STRINGS
    )
    return text if plain else "'" + text.replace("'", "''") + "'"


def yaml_inputs(inputs: Inputs) -> list[str]:
    lines = ["inputs:"]
    for spec in inputs.values():
        lines += [
            f"  {spec.name}:",
            f"    description: {scalar(spec.action_description)}",
            "    required: false",
            f"    default: {scalar(spec.default)}",
        ]
    return lines


def yaml_outputs(outputs: Outputs, *, from_step: str | None = None) -> list[str]:
    lines = ["outputs:"]
    for output in outputs.values():
        lines += [f"  {output.name}:", f"    description: {scalar(output.description)}"]
        if from_step:
            lines.append(f"    value: {scalar(f'${{{{ steps.{from_step}.outputs.{output.name} }}}}')}")
    return lines


def cell(text: str) -> str:
    if "\n" in text:
        raise ValueError(f"a table cell is one line: {text!r}")
    return text.replace("|", "\\|")


def inputs_table(inputs: Inputs) -> list[str]:
    lines = ["| input | default | meaning |", "|---|---|---|"]
    for spec in inputs.values():
        meaning = f"{spec.description} {spec.more}".strip()
        lines.append(f"| `{spec.name}` | {cell(spec.shown_default)} | {cell(meaning)} |")
    return lines


def outputs_table(outputs: Outputs) -> list[str]:
    lines = ["| output | value |", "|---|---|"]
    for output in outputs.values():
        lines.append(f"| `{output.name}` | {cell(f'{output.description} {output.more}'.strip())} |")
    return lines


BLOCKS: dict[str, Callable[[Inputs, Outputs], list[str]]] = {
    "interface": lambda inputs, outputs: yaml_inputs(inputs) + yaml_outputs(outputs),
    "portable-interface": lambda inputs, outputs: yaml_inputs(inputs) + yaml_outputs(outputs, from_step="release"),
    "input-env": lambda inputs, outputs: [f"{s.variable}: ${{{{ inputs.{s.name} }}}}" for s in inputs.values()],
    "inputs-table": lambda inputs, outputs: inputs_table(inputs),
    "outputs-table": lambda inputs, outputs: outputs_table(outputs),
}


def regenerate(text: str, blocks: tuple[str, ...], inputs: Inputs = INPUTS, outputs: Outputs = OUTPUTS) -> str:
    """`text` with each generated block written anew from the declaration; the rest as it was.

    ValueError when a block in `blocks` is missing, unknown, unclosed or there twice.
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    seen: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        match = BEGIN.match(line.rstrip("\n"))
        if not match:
            continue
        block, indent = match["block"], match["indent"]
        if block not in BLOCKS or block not in blocks or block in seen:
            raise ValueError(f"unexpected generated block {block!r}")
        seen.append(block)
        closing = re.compile(rf" *(?:#|<!--) END generated {re.escape(block)}(?: -->)?")
        end = next((j for j in range(i, len(lines)) if closing.fullmatch(lines[j].rstrip("\r\n"))), None)
        if end is None:
            raise ValueError(f"generated block {block!r} is never closed (END generated {block})")
        out += [f"{indent}{generated}\n" for generated in BLOCKS[block](inputs, outputs)]
        out.append(lines[end])
        i = end + 1
    if missing := [block for block in blocks if block not in seen]:
        raise ValueError(f"no generated block {', '.join(missing)} (BEGIN generated …)")
    return "".join(out)


def expected(root: Path = ROOT, inputs: Inputs = INPUTS, outputs: Outputs = OUTPUTS) -> dict[Path, str]:
    """Every file with generated parts, as this script would write it."""
    return {root / name: regenerate(read(root / name), blocks, inputs, outputs) for name, blocks in FILES.items()}


def stale(root: Path = ROOT) -> dict[Path, str]:
    """The files whose generated parts differ from the declaration, each as this script would write it."""
    return {path: text for path, text in expected(root).items() if read(path) != text}


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # as it is: line endings untranslated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    changed = stale()
    for path, text in changed.items():
        name = path.relative_to(ROOT)
        if args.check:
            print(f"{name} is out of date: run {COMMAND}", file=sys.stderr)
        else:
            path.write_bytes(text.encode("utf-8"))
            print(f"wrote {name}")
    if not changed:
        print("action.yml, portable/action.yml and README.md are up to date")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
