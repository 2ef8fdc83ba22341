"""Batch iterators over image arrays and folders; each is a `Sequence` for `model.fit`."""

import os
import threading
import warnings

import numpy as np

from openkeras import config
from openkeras.preprocessing.image.pil_io import array_to_img, img_to_array, load_img
from openkeras.utils.data_utils import Sequence


class Iterator(Sequence):
    """Base class of the image iterators: shuffled index batches, by index or endlessly.

    Indexing (`it[i]`) gives batch `i` of the current epoch, as a `Sequence`;
    `next(it)` cycles through batches forever, as the Keras 2 generators did.

    Args:
        n: Number of samples.
        batch_size: Samples per batch.
        shuffle: Whether to reshuffle the order at every epoch.
        seed: Random seed for shuffling and transformations.
    """

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n, batch_size, shuffle, seed):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self):
        self.index_array = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __getitem__(self, idx):
        if idx >= len(self):
            raise ValueError(
                f"Asked to retrieve element {idx}, but the Sequence has length {len(self)}"
            )
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        index_array = self.index_array[self.batch_size * idx: self.batch_size * (idx + 1)]
        return self._get_batches_of_transformed_samples(index_array)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self):
        self._set_index_array()

    def reset(self):
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current = (self.batch_index * self.batch_size) % self.n if self.n else 0
            if self.n > current + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current: current + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self):
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    def _save_batch(self, batch_x, index_array):
        for i, j in enumerate(index_array):
            img = array_to_img(batch_x[i], self.data_format, scale=True)
            fname = f"{self.save_prefix}_{j}_{np.random.randint(10_000)}.{self.save_format}"
            img.save(os.path.join(self.save_to_dir, fname))

    def _transform(self, x):
        gen = self.image_data_generator
        if gen is None:
            return x
        x = gen.apply_transform(x, gen.get_random_transform(x.shape))
        return gen.standardize(x)

    def _get_batches_of_transformed_samples(self, index_array):
        raise NotImplementedError


class NumpyArrayIterator(Iterator):
    """Batches of (augmented) images from numpy arrays.

    Args:
        x: Images of rank 4, or a tuple `(images, other_input_or_list)` whose
            extra inputs are passed through unchanged.
        y: Labels, or None.
        image_data_generator: The `ImageDataGenerator` applying transforms.
        batch_size: Samples per batch.
        shuffle: Whether to shuffle at every epoch.
        sample_weight: Per-sample weights, or None.
        seed: Random seed.
        data_format: 'channels_last' or 'channels_first'.
        save_to_dir: Folder to save the augmented images to, or None.
        save_prefix: File name prefix for saved images.
        save_format: File format for saved images.
        subset: 'training' or 'validation' with the generator's `validation_split`.
        ignore_class_split: Allow a split whose two parts have different classes.
        dtype: Dtype of the image batches.
    """

    def __init__(self, x, y, image_data_generator, batch_size=32, shuffle=False,
                 sample_weight=None, seed=None, data_format=None, save_to_dir=None,
                 save_prefix="", save_format="png", subset=None, ignore_class_split=False,
                 dtype=None):
        self.dtype = dtype or config.floatx()
        if isinstance(x, (tuple, list)):
            extra = x[1] if isinstance(x[1], list) else [x[1]]
            x_misc = [np.asarray(xx) for xx in extra]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ValueError(
                        "All of the arrays in `x` should have the same length. Found a pair "
                        f"with: len(x[0]) = {len(x)}, len(x[?]) = {len(xx)}"
                    )
        else:
            x_misc = []
        if y is not None and len(x) != len(y):
            raise ValueError(
                "`x` (images tensor) and `y` (labels) should have the same length. Found: "
                f"x.shape = {np.asarray(x).shape}, y.shape = {np.asarray(y).shape}"
            )
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(
                "`x` (images tensor) and `sample_weight` should have the same length. Found: "
                f"x.shape = {np.asarray(x).shape}, "
                f"sample_weight.shape = {np.asarray(sample_weight).shape}"
            )
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(
                    f'Invalid subset name: {subset}; expected "training" or "validation".'
                )
            split_idx = int(len(x) * image_data_generator._validation_split)
            if (y is not None and not ignore_class_split
                    and not np.array_equal(np.unique(y[:split_idx]), np.unique(y[split_idx:]))):
                raise ValueError(
                    "Training and validation subsets have different number of classes after the "
                    "split. If your numpy arrays are sorted by the label, you might want to "
                    "shuffle them."
                )
            part = slice(None, split_idx) if subset == "validation" else slice(split_idx, None)
            x = x[part]
            x_misc = [xx[part] for xx in x_misc]
            y = None if y is None else y[part]
            if sample_weight is not None:
                sample_weight = sample_weight[part]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ValueError(
                "Input data in `NumpyArrayIterator` should have rank 4. You passed an array "
                f"with shape {self.x.shape}"
            )
        self.data_format = config.normalize_data_format(data_format)
        channels_axis = 3 if self.data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(
                "NumpyArrayIterator is set to use the data format convention "
                f'"{self.data_format}" (channels on axis {channels_axis}), i.e. expected either '
                f"1, 3, or 4 channels on axis {channels_axis}. However, it was passed an array "
                f"with shape {self.x.shape} ({self.x.shape[channels_axis]} channels).",
                stacklevel=2,
            )
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._transform(self.x[j].astype(self.dtype))
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        misc = [xx[index_array] for xx in self.x_misc]
        inputs = [batch_x] + misc if misc else batch_x
        if self.y is None:
            return inputs
        if self.sample_weight is not None:
            return inputs, self.y[index_array], self.sample_weight[index_array]
        return inputs, self.y[index_array]


def _iter_valid_files(directory, white_list_formats, follow_links):
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for fname in sorted(files):
            if fname.lower().endswith(".tiff"):
                warnings.warn('Using ".tiff" files with multiple bands will cause distortion. '
                              "Please verify your output.", stacklevel=2)
            if fname.lower().endswith(white_list_formats):
                yield root, fname


class DirectoryIterator(Iterator):
    """Batches of (augmented) images read from one sub-folder per class.

    Args:
        directory: Folder holding one sub-folder of images per class.
        image_data_generator: The `ImageDataGenerator` applying transforms, or None.
        target_size: `(height, width)` the images are resized to.
        color_mode: 'grayscale', 'rgb' or 'rgba'.
        classes: Class sub-folder names; default all sub-folders, sorted.
        class_mode: 'categorical' (one-hot), 'binary' (0/1), 'sparse' (integer),
            'input' (the images themselves) or None (images only).
        batch_size: Samples per batch.
        shuffle: Whether to shuffle at every epoch.
        seed: Random seed.
        data_format: 'channels_last' or 'channels_first'.
        save_to_dir: Folder to save the augmented images to, or None.
        save_prefix: File name prefix for saved images.
        save_format: File format for saved images.
        follow_links: Follow symbolic links to sub-folders.
        subset: 'training' or 'validation' with the generator's `validation_split`.
        interpolation: Resampling filter used when resizing.
        keep_aspect_ratio: Crop to the target aspect ratio before resizing.
        dtype: Dtype of the image batches.
    """

    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def __init__(self, directory, image_data_generator, target_size=(256, 256), color_mode="rgb",
                 classes=None, class_mode="categorical", batch_size=32, shuffle=True, seed=None,
                 data_format=None, save_to_dir=None, save_prefix="", save_format="png",
                 follow_links=False, subset=None, interpolation="nearest",
                 keep_aspect_ratio=False, dtype=None):
        self.dtype = dtype or config.floatx()
        self.directory = directory
        self.image_data_generator = image_data_generator
        self.target_size = tuple(target_size)
        self.keep_aspect_ratio = keep_aspect_ratio
        if color_mode not in ("rgb", "rgba", "grayscale"):
            raise ValueError(
                f'Invalid color mode: {color_mode}; expected "rgb", "rgba", or "grayscale".'
            )
        self.color_mode = color_mode
        self.data_format = config.normalize_data_format(data_format)
        channels = {"rgba": 4, "rgb": 3, "grayscale": 1}[color_mode]
        if self.data_format == "channels_last":
            self.image_shape = self.target_size + (channels,)
        else:
            self.image_shape = (channels,) + self.target_size
        if class_mode not in self.allowed_class_modes:
            raise ValueError(
                f"Invalid class_mode: {class_mode}; expected one of: {self.allowed_class_modes}"
            )
        self.class_mode = class_mode
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.interpolation = interpolation
        split = None
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(
                    f'Invalid subset name: {subset}; expected "training" or "validation"'
                )
            fraction = image_data_generator._validation_split
            split = (0, fraction) if subset == "validation" else (fraction, 1)
        self.subset = subset
        if not classes:
            classes = sorted(d for d in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, d)))
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes)), strict=True))
        labels, self.filenames = [], []
        for name in classes:
            folder = os.path.join(directory, name)
            files = list(_iter_valid_files(folder, self.white_list_formats, follow_links))
            if split is not None:
                files = files[int(split[0] * len(files)): int(split[1] * len(files))]
            for root, fname in files:
                labels.append(self.class_indices[name])
                self.filenames.append(
                    os.path.join(name, os.path.relpath(os.path.join(root, fname), folder))
                )
        self.classes = np.array(labels, dtype="int32")
        self.samples = len(self.filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._filepaths = [os.path.join(directory, f) for f in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def filepaths(self):
        """Absolute paths of the image files, in sample order."""
        return self._filepaths

    @property
    def labels(self):
        """Integer class of every sample."""
        return self.classes

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = load_img(self._filepaths[j], color_mode=self.color_mode,
                           target_size=self.target_size, interpolation=self.interpolation,
                           keep_aspect_ratio=self.keep_aspect_ratio)
            x = img_to_array(img, data_format=self.data_format, dtype=self.dtype)
            img.close()
            batch_x[i] = self._transform(x)
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode in ("binary", "sparse"):
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(batch_x)), self.classes[index_array]] = 1.0
            return batch_x, batch_y
        return batch_x
