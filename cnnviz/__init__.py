"""cnnviz: see how a convolutional neural network works, one operation at a time.

Modules, in the direction of their dependencies:

- ``cnnviz.arithmetic``: every size rule of sliding windows, and the formula text.
- ``cnnviz.palette``: the book's colours, for matplotlib and the browser.
- ``cnnviz.ops``: convolution, padding, pooling, activations, softmax in NumPy, with gradients.
- ``cnnviz.filters``: classic kernels (Sobel, Gaussian, Gabor, ...) built on ``ops``.
- ``cnnviz.images``: offline sample images and test patterns.
- ``cnnviz.viz``: matplotlib pictures of the operations.
- ``cnnviz.widgets``: ipywidgets explorers built on ``ops`` and ``viz``.
- ``cnnviz.explorers``: kernel-free explorers that run in the browser (HTML + JavaScript).
- ``cnnviz.data``, ``cnnviz.models``, ``cnnviz.train``: datasets, networks and training (torch).
- ``cnnviz.zoo``, ``cnnviz.transfer``: famous architectures measured, ImageNet weights used
  offline, and transfer learning (torch).
"""

__version__ = "0.1.0"
