"""Every line a chapter shows in a code block fits the book's text column: 88 characters.

The column holds 88 characters of code at desktop width (``book/css/cnnviz-book.css``); a
longer line scrolls out of sight, and with it the result the prose relies on. ``ruff`` keeps
the code cells to 88 (``notebooks/ruff.toml``); this test covers what ruff does not read: the
printed outputs of the cells and the code blocks in the markdown (the exercise solutions).
"""

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
MAX_CHARS = 88
FENCE = re.compile(r"^(`{3,}|~{3,})(.*)$")


def _output_lines(cell):
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            yield from output["text"].splitlines()
        elif output["output_type"] in ("execute_result", "display_data"):
            data = output.get("data", {})
            if set(data) == {"text/plain"}:  # shown as text only when nothing richer exists
                yield from data["text/plain"].splitlines()


def _fenced_code_lines(markdown):
    """Lines inside fenced code blocks (```python ... ```), not inside MyST directives."""
    open_fences = []  # (fence, is_code) of the blocks we are in, innermost last
    for line in markdown.splitlines():
        match = FENCE.match(line.strip())
        if match and open_fences and match.group(1) == open_fences[-1][0] and not match.group(2):
            open_fences.pop()
        elif match:
            open_fences.append((match.group(1), not match.group(2).startswith("{")))
        elif open_fences and open_fences[-1][1]:
            yield line


def _too_long(notebook):
    found = []
    for index, cell in enumerate(notebook.cells):
        lines = _output_lines(cell) if cell.cell_type == "code" else _fenced_code_lines(cell.source)
        found += [
            f"cell {index}: {len(line)} characters: {line[:60]}…"
            for line in lines
            if len(line) > MAX_CHARS
        ]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_printed_lines_fit_the_column(path):
    too_long = _too_long(nbformat.read(path, as_version=4))
    assert not too_long, f"{path.name}: lines over {MAX_CHARS} characters:\n" + "\n".join(too_long)


def test_fenced_code_lines_are_found():
    markdown = "text\n````{dropdown} Solution\n```python\n" + "x" * 90 + "\n```\n````\n"
    assert list(_fenced_code_lines(markdown)) == ["x" * 90]
