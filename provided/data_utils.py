"""Dataset loaders: CIFAR-10 (fetched by datasets/get_datasets.sh) and a small offline digits set."""
import os
import pickle

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_NUM_DIGITS = 1797


def load_pickle(f):
    """Load a pickle written by Python 2 or 3 (byte strings are decoded as latin1)."""
    return pickle.load(f, encoding="latin1")


def load_CIFAR_batch(filename):
    """
    Load a single batch of CIFAR-10 from its pickle file.

    Inputs:
    - filename: Path of a batch file (data_batch_1, ..., data_batch_5 or test_batch). It holds a
      dict with 'data' (uint8, of shape (N, 3072): 1024 red, then 1024 green, then 1024 blue
      values, each plane in row-major order) and 'labels' (N integers in 0..9)

    Returns a tuple of:
    - X: Images as float64, of shape (N, 32, 32, 3)
    - Y: Labels, of shape (N,)
    """
    with open(filename, "rb") as f:
        datadict = load_pickle(f)
    datadict = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in datadict.items()}
    X = datadict["data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype("float")
    Y = np.array(datadict["labels"])
    return X, Y


def load_CIFAR10(ROOT):
    """
    Load all of CIFAR-10 from the folder cifar-10-batches-py.

    Inputs:
    - ROOT: Path of the folder holding data_batch_1, ..., data_batch_5 and test_batch

    Returns a tuple of:
    - Xtr: Training images as float64, of shape (N_train, 32, 32, 3) (50000 for CIFAR-10)
    - Ytr: Training labels, of shape (N_train,)
    - Xte: Test images as float64, of shape (N_test, 32, 32, 3) (10000 for CIFAR-10)
    - Yte: Test labels, of shape (N_test,)
    """
    xs, ys = [], []
    for b in range(1, 6):
        X, Y = load_CIFAR_batch(os.path.join(ROOT, "data_batch_%d" % (b,)))
        xs.append(X)
        ys.append(Y)
    Xtr = np.concatenate(xs)
    Ytr = np.concatenate(ys)
    Xte, Yte = load_CIFAR_batch(os.path.join(ROOT, "test_batch"))
    return Xtr, Ytr, Xte, Yte


def _package(X_train, y_train, X_val, y_val, X_test, y_test, subtract_mean):
    """
    Optionally subtract the mean training image from every split and return the data dict
    (with C-contiguous images).

    Inputs:
    - X_train, X_val, X_test: Images as float64, of shapes (N_train, C, H, W), (N_val, C, H, W),
      (N_test, C, H, W); not modified
    - y_train, y_val, y_test: Labels, of shapes (N_train,), (N_val,), (N_test,)
    - subtract_mean: If True, subtract the mean over X_train (of shape (C, H, W)) from all three

    Returns:
    - data: Dict with keys X_train, y_train, X_val, y_val, X_test, y_test
    """
    if subtract_mean:
        mean_image = np.mean(X_train, axis=0)
        X_train, X_val, X_test = X_train - mean_image, X_val - mean_image, X_test - mean_image
    return {
        "X_train": np.ascontiguousarray(X_train),
        "y_train": y_train,
        "X_val": np.ascontiguousarray(X_val),
        "y_val": y_val,
        "X_test": np.ascontiguousarray(X_test),
        "y_test": y_test,
    }


def get_CIFAR10_data(num_training=49000, num_validation=1000, num_test=1000,
                     subtract_mean=True, cifar10_dir=None):
    """
    Load CIFAR-10 and prepare it for the classifiers: the validation set is taken from the
    training images that follow the first num_training, the mean training image is subtracted,
    and the images are transposed so that channels come first.

    Inputs:
    - num_training: Number of training images (taken from the start of the training batches)
    - num_validation: Number of validation images (the next ones in the training batches)
    - num_test: Number of test images (taken from the start of test_batch)
    - subtract_mean: If True, subtract the mean training image from all splits
    - cifar10_dir: Folder cifar-10-batches-py; None means datasets/cifar-10-batches-py next to
      this file, where datasets/get_datasets.sh puts it

    Returns:
    - data: Dict with 'X_train' of shape (num_training, 3, 32, 32), 'y_train' of shape
      (num_training,), 'X_val' of shape (num_validation, 3, 32, 32), 'y_val' of shape
      (num_validation,), 'X_test' of shape (num_test, 3, 32, 32), 'y_test' of shape (num_test,);
      images are float64
    """
    if cifar10_dir is None:
        cifar10_dir = os.path.join(_HERE, "datasets", "cifar-10-batches-py")
    if not os.path.isdir(cifar10_dir):
        raise FileNotFoundError(
            "CIFAR-10 not found at %s: run datasets/get_datasets.sh to download it, or use "
            "get_digits_data() to work offline" % cifar10_dir)
    X_train, y_train, X_test, y_test = load_CIFAR10(cifar10_dir)
    if num_training + num_validation > X_train.shape[0] or num_test > X_test.shape[0]:
        raise ValueError(
            "get_CIFAR10_data: num_training + num_validation = %d must be at most %d and "
            "num_test = %d at most %d (the sizes of the training and test batches in %s)"
            % (num_training + num_validation, X_train.shape[0], num_test, X_test.shape[0],
               cifar10_dir))

    # Transpose so that channels come first: (N, 32, 32, 3) -> (N, 3, 32, 32)
    X_train = X_train.transpose(0, 3, 1, 2)
    X_test = X_test.transpose(0, 3, 1, 2)
    return _package(
        X_train[:num_training], y_train[:num_training],
        X_train[num_training:num_training + num_validation],
        y_train[num_training:num_training + num_validation],
        X_test[:num_test], y_test[:num_test],
        subtract_mean,
    )


def _digits_candidates():
    """The places get_digits_data looks for digits.npz, in order (package data last)."""
    candidates = [
        os.path.join(_HERE, "datasets", "digits.npz"),
        os.path.normpath(os.path.join(_HERE, "..", "fixtures", "datasets", "digits.npz")),
    ]
    try:
        from importlib.resources import files

        candidates.append(str(files("autograder._fixtures") / "datasets" / "digits.npz"))
    except ImportError:
        pass
    return list(dict.fromkeys(candidates))  # an editable install maps the last two together


def get_digits_data(num_training=1297, num_validation=250, num_test=250, subtract_mean=True,
                    path=None, image_size=32):
    """
    Load the 1797 8x8 handwritten digits (UCI optical digits, as bundled with scikit-learn) in
    the layout of get_CIFAR10_data, so that models with CIFAR-10's default input_dim train on
    them unchanged. Each digit (values 0..16) is scaled to 0..255, enlarged to
    image_size x image_size by nearest-neighbour upsampling and copied into 3 channels. The
    splits are consecutive: training first, then validation, then test.

    Inputs:
    - num_training, num_validation, num_test: Sizes of the splits (together at most 1797)
    - subtract_mean: If True, subtract the mean training image from all splits
    - path: digits.npz to read; None searches next to this file (datasets/digits.npz), then the
      repository's fixtures/datasets/digits.npz, then the installed autograder package data
    - image_size: Height and width of the returned images; a multiple of 8

    Returns:
    - data: Dict with 'X_train' of shape (num_training, 3, image_size, image_size), 'y_train' of
      shape (num_training,), and likewise 'X_val', 'y_val', 'X_test', 'y_test'; images are
      float64, labels are int64 in 0..9
    """
    if image_size % 8 != 0 or image_size <= 0:
        raise ValueError("get_digits_data: image_size = %r must be a positive multiple of 8 "
                         "(the digits are 8x8)" % (image_size,))
    total = num_training + num_validation + num_test
    if total > _NUM_DIGITS:
        raise ValueError(
            "get_digits_data: num_training + num_validation + num_test = %d + %d + %d = %d "
            "exceeds the %d digits" % (num_training, num_validation, num_test, total, _NUM_DIGITS))
    if path is None:
        candidates = _digits_candidates()
        path = next((p for p in candidates if os.path.isfile(p)), None)
        if path is None:
            raise FileNotFoundError("digits.npz not found; searched: %s (build it with "
                                    "fixtures/datasets/make_digits.py)" % ", ".join(candidates))
    with np.load(path) as digits:
        images, labels = digits["images"], digits["labels"]

    scale = image_size // 8
    X = images.astype(np.float64) * (255.0 / 16.0)
    X = X.repeat(scale, axis=1).repeat(scale, axis=2)
    X = np.repeat(X[:, None], 3, axis=1)
    y = labels.astype(np.int64)

    val_end = num_training + num_validation
    return _package(
        X[:num_training], y[:num_training],
        X[num_training:val_end], y[num_training:val_end],
        X[val_end:total], y[val_end:total],
        subtract_mean,
    )
