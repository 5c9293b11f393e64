"""Tests of cnnviz.glue: it emits what myst-nb's ``glue`` emits, without myst-nb."""

from unittest import mock

import numpy as np
import pytest

from cnnviz import glue as glue_module
from cnnviz.glue import GLUE_PREFIX, glue, mime_bundle

myst_glue = pytest.importorskip("myst_nb.ext.glue")

VALUES = ["91.77 %", 3, 0.25, np.float64(0.5), np.int64(7), True]


def _emitted(function, *args, **kwargs):
    """The (args, kwargs) of every IPython.display.display call ``function`` makes."""
    with (
        mock.patch("IPython.display.display") as ours,
        mock.patch.object(myst_glue, "ipy_display") as theirs,
    ):
        function(*args, **kwargs)
    return [(c.args, c.kwargs) for c in ours.call_args_list + theirs.call_args_list]


@pytest.mark.parametrize("display", [False, True])
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_glue_emits_what_myst_nb_glue_emits(value, display):
    ours = _emitted(glue, "key", value, display=display)
    theirs = _emitted(myst_glue.glue, "key", value, display=display)
    assert len(ours) == len(theirs) == 1
    assert ours == theirs
    (bundle,), kwargs = ours[0]
    prefix = "" if display else GLUE_PREFIX
    assert kwargs == {
        "raw": True,
        "metadata": {"scrapbook": {"name": "key", "mime_prefix": prefix}},
    }
    assert bundle == {prefix + "text/plain": repr(value)}


def test_glue_hides_the_value_by_default_and_matches_the_prefix_of_myst_nb():
    assert GLUE_PREFIX == myst_glue.GLUE_PREFIX
    bundle, metadata = mime_bundle("acc", "91.8 %")
    assert list(bundle) == [GLUE_PREFIX + "text/plain"]
    assert metadata["scrapbook"] == {"name": "acc", "mime_prefix": GLUE_PREFIX}


def test_glue_of_a_figure_carries_its_png_like_myst_nb():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(InteractiveShell.instance(), {"png"})  # what %matplotlib inline does
    fig = plt.figure(figsize=(1, 1))
    fig.add_subplot().plot([0, 1])  # an empty figure has no PNG
    try:
        ours = _emitted(glue, "fig", fig)
        theirs = _emitted(myst_glue.glue, "fig", fig, display=False)
    finally:
        plt.close(fig)
    assert ours == theirs
    assert GLUE_PREFIX + "image/png" in ours[0][0][0]


def test_glue_in_a_shell_records_an_output_myst_nb_can_read():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    with mock.patch.object(shell.display_pub, "publish") as publish:
        glue("n", 42)
    (call,) = publish.call_args_list
    assert call.kwargs["data"] == {GLUE_PREFIX + "text/plain": "42"}
    assert call.kwargs["metadata"] == {"scrapbook": {"name": "n", "mime_prefix": GLUE_PREFIX}}


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"name": 3}, TypeError, "name must be a string, got 3"),
        ({"name": ""}, ValueError, "name must be a non-empty string"),
        ({"display": "yes"}, TypeError, "display must be True or False, got 'yes'"),
        ({"value": object}, TypeError, "value must be a string, a number or an object with a"),
    ],
)
def test_glue_checks_its_arguments(kwargs, error, message):
    args = {"name": "key", "value": 1, "display": False, **kwargs}
    with pytest.raises(error, match=message):
        glue_module.glue(**args)
