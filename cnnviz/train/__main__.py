"""``python -m cnnviz.train`` (or ``torchrun ... -m cnnviz.train``): see :mod:`cnnviz.train.cli`."""

from .cli import main

if __name__ == "__main__":
    main()
