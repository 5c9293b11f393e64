"""Glue a value into a notebook's outputs for the book's prose, without myst-nb.

A chapter computes a number in a code cell and its prose quotes it with the myst-nb role
``{glue:text}`name```, so that the sentence and the output cannot disagree. myst-nb's own
``glue`` (``myst_nb.glue``) needs myst-nb installed, which Colab lacks; :func:`glue` emits
the very same display data with IPython alone. Source: ``myst_nb/ext/glue/__init__.py``
(myst-nb 1.x), whose ``glue`` formats the value with
:func:`IPython.core.formatters.format_display_data`, prefixes each MIME type with
``application/papermill.record/`` unless the value is also to be shown, and records the name
in the output's ``metadata["scrapbook"]``.

Examples
--------
>>> bundle, metadata = mime_bundle("test_acc", "91.8 %")
>>> bundle
{'application/papermill.record/text/plain': "'91.8 %'"}
>>> metadata
{'scrapbook': {'name': 'test_acc', 'mime_prefix': 'application/papermill.record/'}}
"""

import numbers

from ._checks import check_bool

__all__ = ["GLUE_PREFIX", "glue", "mime_bundle"]

#: The prefix of the MIME types of a hidden glued value (myst-nb's ``GLUE_PREFIX``).
GLUE_PREFIX = "application/papermill.record/"


def _check_name(name):
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {name!r}")
    if not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}")
    return name


def mime_bundle(name, value, display=False):
    """The display data and metadata that :func:`glue` emits, without emitting them.

    Parameters
    ----------
    name : str
        The key the prose uses: ``{glue:text}`name```.
    value : str, number or an object with a rich display
        A string (glued as its ``repr``, which ``{glue:text}`` prints without the quotes),
        a number, or anything IPython displays as more than text (a figure, a table).
    display : bool, default False
        Whether the notebook shows the value too (myst-nb's default is True; the book's
        cells print their numbers themselves).

    Returns
    -------
    bundle, metadata : dict, dict

    Raises
    ------
    TypeError
        ``name`` is not a string, ``display`` not a bool, or ``value`` none of the above (its
        ``repr`` alone is rarely what the prose means).
    ValueError
        ``name`` is empty.
    """
    import IPython.core.formatters

    _check_name(name)
    prefix = "" if check_bool(display, "display") else GLUE_PREFIX
    bundle, metadata = IPython.core.formatters.format_display_data(value)
    if not isinstance(value, (str, numbers.Number)) and set(bundle) <= {"text/plain"}:
        raise TypeError(
            f"value must be a string, a number or an object with a rich display (a figure, "
            f"a table), got {value!r}"
        )
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    return {prefix + key: data for key, data in bundle.items()}, metadata


def glue(name, value, display=False):
    """Record ``value`` under ``name`` in the cell's outputs, as ``myst_nb.glue`` does.

    The book (myst-nb) then pastes it where the prose writes ``{glue:text}`name```. With
    ``display`` False (the default here) nothing is shown in the notebook, in Jupyter or in
    Colab: the cell should print what the prose quotes. Parameters and errors are those of
    :func:`mime_bundle`.

    Examples
    --------
    >>> glue("test_acc", f"{0.9177:.2%}")  # nothing visible; the book reads '91.77%'
    """
    import IPython.display

    bundle, metadata = mime_bundle(name, value, display)
    IPython.display.display(bundle, raw=True, metadata=metadata)
