"""cnnviz: see how a convolutional neural network works, one operation at a time.

Modules, in the direction of their dependencies:

- ``cnnviz.ops``: convolution, padding, pooling, activations, softmax in NumPy.
- ``cnnviz.filters``: classic kernels (Sobel, Gaussian, Gabor, ...) built on ``ops``.
- ``cnnviz.images``: offline sample images and test patterns.
- ``cnnviz.viz``: matplotlib pictures of the operations.
- ``cnnviz.widgets``: ipywidgets explorers built on ``viz``.
- ``cnnviz.data``: Fashion-MNIST and CIFAR-10, from a local directory or a download.
"""

__version__ = "0.1.0"
