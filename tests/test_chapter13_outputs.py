"""Chapter 13 shows a full run: its committed outputs say so, and hold the three experiments.

The chapter's fast mode (CI) trains on subsets; the book must show the full run, whose sizes
the outputs print. The numbers themselves are the chapter's to discuss (through glue)."""

import re
from pathlib import Path

from test_fast_mode import _stream_text as _text_of

PATH = Path(__file__).resolve().parent.parent / "notebooks" / "13_architectures_and_transfer.ipynb"


def _stream_text():
    return _text_of(PATH)


def test_the_committed_outputs_come_from_a_full_run():
    text = _stream_text()
    assert re.findall(r"^mode: (\w+)", text, flags=re.MULTILINE) == ["full"]
    assert re.search(r"^pretrained on 25,000 images of 5 classes, 4 epochs", text, re.MULTILINE)
    assert re.search(r"^test accuracy on 5,000 images of the 5 new classes$", text, re.MULTILINE)


def test_the_three_experiments_show_their_results():
    text = _stream_text()
    for label in ("plain-20", "plain-44", "residual-44"):
        assert re.search(rf"^{label} +last 20 steps: loss [\d.]+; test accuracy [\d.]+%", text,
                         re.MULTILINE), label  # fmt: skip
    for method in ("linear probe", "fine-tune", "from scratch"):
        assert re.search(rf"^ *{method}( +[\d.]+%){{3}}$", text, re.MULTILINE), method
    for name in ("LeNet-5", "AlexNet", "VGG-16", "GoogLeNet", "ResNet-50", "ConvNeXt-Tiny"):
        assert re.search(rf"^{name} +(1998|20\d\d) ", text, re.MULTILINE), name
