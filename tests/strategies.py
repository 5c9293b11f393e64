"""Hypothesis strategies shared by the ops tests (forward and backward)."""

from hypothesis import strategies as st


@st.composite
def conv_cases(draw, max_size=11):
    """A valid conv2d setting: shapes, stride, padding (int, pair, 'valid', 'same'), dilation."""
    groups = draw(st.integers(1, 3))
    in_per_group, out_per_group = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = draw(
        st.one_of(
            st.integers(0, 2),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.just("valid"),
            st.just("same"),
        )
    )
    if padding == "same":
        stride = (1, 1)
    if isinstance(padding, int):
        pads = (padding, padding)
    else:
        pads = (0, 0) if isinstance(padding, str) else padding
    extent = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    h = draw(st.integers(max(1, extent[0] - 2 * pads[0]), max_size))
    w = draw(st.integers(max(1, extent[1] - 2 * pads[1]), max_size))
    return {
        "x_shape": (draw(st.integers(1, 3)), groups * in_per_group, h, w),
        "w_shape": (groups * out_per_group, in_per_group, kh, kw),
        "bias": draw(st.booleans()),
        "kwargs": {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups},
    }
