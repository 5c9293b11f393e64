"""Mixed precision: which dtype :func:`torch.autocast` uses, the context, the gradient scaler.

On CUDA, ``amp="auto"`` picks bfloat16 on GPUs with bfloat16 units and float16 (with a
:class:`torch.amp.GradScaler`, so that small gradients do not underflow) on older ones.

Examples
--------
>>> amp_name(amp_dtype("cpu", "bf16")), amp_name(amp_dtype("cpu"))
('bfloat16', 'off')
"""

from contextlib import nullcontext

import torch

from .._checks import check_choice
from ._torch_checks import check_device

__all__ = ["AMP_CHOICES", "amp_dtype", "amp_name", "autocast", "grad_scaler"]

AMP_CHOICES = ("auto", "bf16", "fp16", "off")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16, "off": None}


def amp_dtype(device, amp="auto"):
    """The dtype that :func:`torch.autocast` should use, or None for full precision.

    ``"auto"`` turns mixed precision on only on CUDA: bfloat16 on GPUs with bfloat16 units
    (NVIDIA compute capability 8.0 and later: A100, H100, RTX 30xx and newer), float16 with
    a gradient scaler on older ones (T4, V100), where bfloat16 would be emulated. On most
    CPUs bfloat16 is *slower* (it pays off only with AMX/AVX-512 BF16), but ``amp="bf16"``
    forces it, which is how the tests exercise this branch.

    Parameters
    ----------
    device : str or torch.device
    amp : {"auto", "bf16", "fp16", "off"} or None
        None is the same as "off".

    Raises
    ------
    TypeError
        ``device`` is not a device.
    ValueError
        ``amp`` is not one of the choices, or ``device`` names none.

    Examples
    --------
    >>> amp_dtype(torch.device("cpu")), amp_dtype(torch.device("cpu"), "bf16")
    (None, torch.bfloat16)
    """
    device = check_device(device)
    if amp is None:
        return None
    check_choice(amp, "amp", AMP_CHOICES)
    if amp != "auto":
        return _DTYPES[amp]
    if device.type != "cuda":
        return None
    native = torch.cuda.is_bf16_supported(including_emulation=False)
    return torch.bfloat16 if native else torch.float16


def amp_name(dtype):
    """``"bfloat16"``, ``"float16"`` or ``"off"`` (None): how a history records the precision."""
    return "off" if dtype is None else str(dtype).removeprefix("torch.")


def autocast(device, dtype):
    """:func:`torch.autocast` to ``dtype`` on ``device``'s type; a no-op for ``dtype`` None."""
    if dtype is None:
        return nullcontext()
    return torch.autocast(torch.device(device).type, dtype=dtype)


def grad_scaler(device, dtype):
    """A :class:`torch.amp.GradScaler`, enabled only for float16 (bfloat16 needs none)."""
    return torch.amp.GradScaler(torch.device(device).type, enabled=dtype == torch.float16)
