"""What :func:`cnnviz.train.fit` records: a :class:`History`, one entry per epoch.

Examples
--------
>>> h = History.start(thresholds=(0.5,), device="cpu", amp="off", channels_last=False)
>>> h.add_epoch(1, train_loss=0.9, train_acc=0.6, lr=0.1, seconds=2.0)
>>> h.add_validation({"loss": 0.7, "acc": 0.55})
>>> h["wall"].append(2.5)
>>> h.line(epochs=3)
'epoch  1/3  train loss 0.900 acc 60.0%  val loss 0.700 acc 55.0%  total 2 s'
>>> h["time_to"]
{0.5: 2.0}
"""

__all__ = ["History"]

EPOCH_KEYS = (
    "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "epoch_time", "time", "wall"
)  # fmt: skip


class History(dict):
    """The record of a training run: a dict, so that ``history["val_acc"][-1]``,
    :func:`cnnviz.viz.plot_history` and checkpoints take it as they took the plain dict.

    Keys
    ----
    Lists, one entry per epoch: ``epoch``, ``train_loss``, ``train_acc`` (on the augmented
    batches, during the epoch), ``val_loss``, ``val_acc`` (empty without validation), ``lr``
    (of the epoch's last step), ``epoch_time`` (seconds of training), ``time`` (cumulative
    training seconds, evaluation excluded), ``wall`` (cumulative seconds, evaluation
    included). Then ``time_to``: ``{threshold: training seconds (time) when val_acc first
    reached it, or None}``; ``device`` (str); ``amp`` (the dtype name or "off");
    ``channels_last`` (bool).
    """

    @classmethod
    def start(cls, thresholds, device, amp, channels_last):
        """An empty history for a run on ``device`` (``amp``: "bfloat16", "float16", "off")."""
        history = cls({key: [] for key in EPOCH_KEYS})
        history["time_to"] = {float(t): None for t in thresholds}
        history["device"] = str(device)
        history["amp"] = amp
        history["channels_last"] = channels_last
        return history

    def add_epoch(self, epoch, train_loss, train_acc, lr, seconds):
        """Record a finished epoch of training that took ``seconds``."""
        self["epoch"].append(epoch)
        self["train_loss"].append(train_loss)
        self["train_acc"].append(train_acc)
        self["lr"].append(lr)
        self["epoch_time"].append(seconds)
        self["time"].append((self["time"][-1] if self["time"] else 0.0) + seconds)

    def add_validation(self, result):
        """Record the epoch's validation ``{"acc": float, "loss": float}`` and the thresholds
        it reaches for the first time."""
        self["val_loss"].append(result["loss"])
        self["val_acc"].append(result["acc"])
        for threshold, reached in self["time_to"].items():
            if reached is None and result["acc"] >= threshold:
                self["time_to"][threshold] = self["time"][-1]

    def line(self, epochs):
        """The last epoch in one line short enough for a book's column (about 76 characters)."""
        line = (
            f"epoch {self['epoch'][-1]:>2}/{epochs}  "
            f"train loss {self['train_loss'][-1]:.3f} acc {self['train_acc'][-1]:5.1%}"
        )
        if self["val_acc"]:
            line += f"  val loss {self['val_loss'][-1]:.3f} acc {self['val_acc'][-1]:5.1%}"
        return line + f"  total {self['time'][-1]:.0f} s"
