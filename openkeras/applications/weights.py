"""The published ImageNet weight files of Keras 2's applications, and loading them."""

from openkeras.utils.data_utils import get_file

_STORAGE = "https://storage.googleapis.com/tensorflow/keras-applications/"

# name: (folder URL, with-top file, its md5, no-top file, its md5); the URL file name equals
# the cached file name except for NASNet (see _NASNET_URL_NAMES).
_FILES = {
    "vgg16": (_STORAGE + "vgg16/",
              "vgg16_weights_tf_dim_ordering_tf_kernels.h5",
              "64373286793e3c8b2b4e3219cbf3544b",
              "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
              "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": (_STORAGE + "vgg19/",
              "vgg19_weights_tf_dim_ordering_tf_kernels.h5",
              "cbe5617147190e668d6c5d5026f83318",
              "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
              "253f8cb515780f3b799900260a226db6"),
    "resnet50": (_STORAGE + "resnet/",
                 "resnet50_weights_tf_dim_ordering_tf_kernels.h5",
                 "2cb95161c43110f7111970584f804107",
                 "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                 "4d473c1dd8becc155b73f8504c6f6626"),
    # Keras 2.3's ResNet101/152 and V2 files (published without hashes in this table, so
    # their downloads are not checksum-verified).
    **{name: (_STORAGE + "resnet/", f"{name}_weights_tf_dim_ordering_tf_kernels.h5", None,
              f"{name}_weights_tf_dim_ordering_tf_kernels_notop.h5", None)
       for name in ("resnet101", "resnet152", "resnet50v2", "resnet101v2", "resnet152v2")},
    "inception_v3": (_STORAGE + "inception_v3/",
                     "inception_v3_weights_tf_dim_ordering_tf_kernels.h5",
                     "9a0d58056eeedaa3f26cb7ebd46da564",
                     "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
                     "bcbd6486424b2319ff4ef7d526e38f63"),
    "xception": (_STORAGE + "xception/",
                 "xception_weights_tf_dim_ordering_tf_kernels.h5",
                 "0a58e3b7378bc2990ea3b43d5981f1f6",
                 "xception_weights_tf_dim_ordering_tf_kernels_notop.h5",
                 "b0042744bf5b25fce3cb969f33bebb97"),
    "inception_resnet_v2": (_STORAGE + "inception_resnet_v2/",
                            "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels.h5",
                            "e693bd0210a403b3192acc6073ad2e96",
                            "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
                            "d19885ff4a710c122648d3b5c3b684e4"),
    "densenet121": (_STORAGE + "densenet/",
                    "densenet121_weights_tf_dim_ordering_tf_kernels.h5",
                    "9d60b8095a5708f2dcce2bca79d332c7",
                    "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": (_STORAGE + "densenet/",
                    "densenet169_weights_tf_dim_ordering_tf_kernels.h5",
                    "d699b8f76981ab1b30698df4c175e90b",
                    "densenet169_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": (_STORAGE + "densenet/",
                    "densenet201_weights_tf_dim_ordering_tf_kernels.h5",
                    "1ceb130c1ea1b78c3bf6114dbdfd8807",
                    "densenet201_weights_tf_dim_ordering_tf_kernels_notop.h5",
                    "c13680b51ded0fb44dff2d8f86ac8bb1"),
    "nasnet_mobile": (_STORAGE + "nasnet/",
                      "nasnet_mobile.h5", "020fb642bf7360b370c678b08e0adf61",
                      "nasnet_mobile_no_top.h5", "1ed92395b5b598bdda52abe5c0dbfd63"),
    "nasnet_large": (_STORAGE + "nasnet/",
                     "nasnet_large.h5", "11577c9a518f0070763c2b964a382f17",
                     "nasnet_large_no_top.h5", "d81d89dc07e6e56530c4e77faddd61b5"),
}
_NASNET_URL_NAMES = {
    "nasnet_mobile.h5": "NASNet-mobile.h5",
    "nasnet_mobile_no_top.h5": "NASNet-mobile-no-top.h5",
    "nasnet_large.h5": "NASNet-large.h5",
    "nasnet_large_no_top.h5": "NASNet-large-no-top.h5",
}
_MOBILENET_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}


def weights_file(name: str, include_top: bool, alpha=None, rows=None):
    """The (file name, download URL, md5 hash or None) of a published ImageNet weights file.

    Args:
        name: 'vgg16', 'vgg19', 'resnet50', 'inception_v3', 'xception',
            'inception_resnet_v2', 'densenet121', 'densenet169', 'densenet201',
            'nasnet_mobile', 'nasnet_large', 'mobilenet' or 'mobilenet_v2'.
        include_top: whether the file holds the classifier too.
        alpha: width multiplier (MobileNets only).
        rows: input size the weights were trained for (MobileNets only).
    """
    if name == "mobilenet":
        suffix = "" if include_top else "_no_top"
        fname = f"mobilenet_{_MOBILENET_ALPHA_TEXT[float(alpha)]}_{rows}_tf{suffix}.h5"
        return fname, _STORAGE + "mobilenet/" + fname, None
    if name == "mobilenet_v2":
        suffix = "" if include_top else "_no_top"
        fname = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                 f"{suffix}.h5")
        return fname, _STORAGE + "mobilenet_v2/" + fname, None
    if name not in _FILES:
        raise ValueError(f"No published ImageNet weights are known for {name!r}. "
                         f"Expected one of {sorted(_FILES) + ['mobilenet', 'mobilenet_v2']}.")
    folder, top_name, top_hash, notop_name, notop_hash = _FILES[name]
    fname, file_hash = (top_name, top_hash) if include_top else (notop_name, notop_hash)
    return fname, folder + _NASNET_URL_NAMES.get(fname, fname), file_hash


def load_imagenet_weights(model, name: str, include_top: bool, alpha=None, rows=None) -> str:
    """Fetch (or find in the cache) a published ImageNet weights file and load it into `model`.

    The file goes to `<config_dir>/models/`; offline, the error names the URL and where to
    put the file by hand. Loading is by topological order, as in Keras.

    Args:
        model: the application model, built exactly as Keras builds it.
        name: the weights family (see `weights_file`).
        include_top: whether the model has its classifier.
        alpha: width multiplier (MobileNets only).
        rows: input size (MobileNets only).

    Returns:
        The path of the weights file.
    """
    fname, origin, file_hash = weights_file(name, include_top, alpha=alpha, rows=rows)
    path = get_file(fname, origin, cache_subdir="models", file_hash=file_hash)
    model.load_weights(path)
    return path


def apply_weights(model, weights, name: str, include_top: bool, alpha=None, rows=None):
    """Load ``weights`` ('imagenet', a weights-file path, or None) into an application; return it.

    Args:
        model: the freshly built application model.
        weights: 'imagenet', a path, or None (keep the random initialization).
        name, include_top, alpha, rows: which published file ('imagenet'), as in
            ``load_imagenet_weights``.
    """
    if weights == "imagenet":
        load_imagenet_weights(model, name, include_top, alpha=alpha, rows=rows)
    elif weights is not None:
        model.load_weights(weights)
    return model
