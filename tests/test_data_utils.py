"""cs231n.data_utils: CIFAR-10 pickles (a tiny fake folder) and the offline digits set."""
import importlib.util
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cs231n import data_utils
from cs231n.data_utils import (get_CIFAR10_data, get_digits_data, load_CIFAR10,
                               load_CIFAR_batch)

ROOT = Path(__file__).resolve().parent.parent
DIGITS_NPZ = ROOT / "fixtures" / "datasets" / "digits.npz"
BATCH = 20


def _write_batch(path, data, labels, bytes_keys):
    """Write one batch in the layout of cifar-10-batches-py (a pickled dict)."""
    batch = {"batch_label": "fake batch", "labels": labels, "data": data,
             "filenames": ["img_%d.png" % i for i in range(len(labels))]}
    if bytes_keys:
        batch = {k.encode(): v for k, v in batch.items()}
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)


@pytest.fixture(params=[False, True], ids=["str-keys", "bytes-keys"])
def cifar_dir(tmp_path, request):
    """5 training batches and a test batch of 20 random images; returns (folder, raw rows)."""
    rng = np.random.RandomState(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rows, labels = {}, {}
    for name in ["data_batch_%d" % b for b in range(1, 6)] + ["test_batch"]:
        rows[name] = rng.randint(0, 256, size=(BATCH, 3072)).astype(np.uint8)
        labels[name] = [int(v) for v in rng.randint(0, 10, size=BATCH)]
        _write_batch(folder / name, rows[name], labels[name], request.param)
    return folder, rows, labels


def _train_rows(rows):
    return np.concatenate([rows["data_batch_%d" % b] for b in range(1, 6)])


def test_load_CIFAR_batch_layout(cifar_dir):
    folder, rows, labels = cifar_dir
    X, Y = load_CIFAR_batch(str(folder / "data_batch_3"))
    assert X.shape == (BATCH, 32, 32, 3) and X.dtype == np.float64
    assert Y.shape == (BATCH,) and list(Y) == labels["data_batch_3"]
    raw = rows["data_batch_3"]
    # Row layout: 1024 red values, then 1024 green, then 1024 blue, each plane row-major.
    for n, h, w, c in [(0, 0, 0, 0), (1, 0, 1, 0), (2, 1, 0, 0), (3, 5, 7, 1), (19, 31, 31, 2)]:
        assert X[n, h, w, c] == raw[n, c * 1024 + h * 32 + w]
    assert np.array_equal(X.transpose(0, 3, 1, 2).reshape(BATCH, 3072), raw)


def test_load_CIFAR10_concatenates_the_five_batches_in_order(cifar_dir):
    folder, rows, labels = cifar_dir
    Xtr, Ytr, Xte, Yte = load_CIFAR10(str(folder))
    assert Xtr.shape == (5 * BATCH, 32, 32, 3) and Ytr.shape == (5 * BATCH,)
    assert Xte.shape == (BATCH, 32, 32, 3) and Yte.shape == (BATCH,)
    assert np.array_equal(Xtr.transpose(0, 3, 1, 2).reshape(-1, 3072), _train_rows(rows))
    assert list(Ytr[BATCH:2 * BATCH]) == labels["data_batch_2"]
    assert list(Yte) == labels["test_batch"]


def test_get_CIFAR10_data_splits_and_channels_first(cifar_dir):
    folder, rows, labels = cifar_dir
    data = get_CIFAR10_data(num_training=80, num_validation=15, num_test=10,
                            subtract_mean=False, cifar10_dir=str(folder))
    shapes = {k: v.shape for k, v in data.items()}
    assert shapes == {"X_train": (80, 3, 32, 32), "y_train": (80,), "X_val": (15, 3, 32, 32),
                      "y_val": (15,), "X_test": (10, 3, 32, 32), "y_test": (10,)}
    for key in ("X_train", "X_val", "X_test"):
        assert data[key].dtype == np.float64 and data[key].flags["C_CONTIGUOUS"]
    train = _train_rows(rows).reshape(-1, 3, 32, 32)
    assert np.array_equal(data["X_train"], train[:80])
    assert np.array_equal(data["X_val"], train[80:95])
    assert np.array_equal(data["X_test"], rows["test_batch"][:10].reshape(10, 3, 32, 32))
    train_labels = sum((labels["data_batch_%d" % b] for b in range(1, 6)), [])
    assert list(data["y_val"]) == train_labels[80:95]


def test_get_CIFAR10_data_subtracts_the_mean_training_image(cifar_dir):
    folder, rows, _ = cifar_dir
    data = get_CIFAR10_data(num_training=50, num_validation=20, num_test=5,
                            cifar10_dir=str(folder))
    train = _train_rows(rows).reshape(-1, 3, 32, 32).astype(np.float64)
    mean_image = train[:50].mean(axis=0)
    assert np.allclose(data["X_train"], train[:50] - mean_image)
    assert np.allclose(data["X_val"], train[50:70] - mean_image)
    assert np.allclose(data["X_test"][0], rows["test_batch"][0].reshape(3, 32, 32) - mean_image)
    assert np.abs(data["X_train"].mean(axis=0)).max() < 1e-10


def test_get_CIFAR10_data_errors(cifar_dir, tmp_path):
    missing = tmp_path / "nowhere" / "cifar-10-batches-py"
    with pytest.raises(FileNotFoundError) as error:
        get_CIFAR10_data(cifar10_dir=str(missing))
    message = str(error.value)
    assert str(missing) in message
    assert "get_datasets.sh" in message and "get_digits_data" in message
    with pytest.raises(ValueError, match="num_training"):
        get_CIFAR10_data(num_training=90, num_validation=20, cifar10_dir=str(cifar_dir[0]))


@pytest.fixture(scope="module")
def raw_digits():
    with np.load(DIGITS_NPZ) as digits:
        return digits["images"], digits["labels"]


def test_digits_fixture_contents(raw_digits):
    images, labels = raw_digits
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8 and images.max() == 16
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert np.array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])


def test_get_digits_data_layout(raw_digits):
    images, labels = raw_digits
    data = get_digits_data(subtract_mean=False)
    shapes = {k: v.shape for k, v in data.items()}
    assert shapes == {"X_train": (1297, 3, 32, 32), "y_train": (1297,), "X_val": (250, 3, 32, 32),
                      "y_val": (250,), "X_test": (250, 3, 32, 32), "y_test": (250,)}
    X = np.concatenate([data["X_train"], data["X_val"], data["X_test"]])
    y = np.concatenate([data["y_train"], data["y_val"], data["y_test"]])
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(y, labels)
    assert X.min() == 0 and X.max() == 255
    # Nearest-neighbour upsampling: each 4x4 block holds one 8x8 pixel, in all three channels.
    expected = images.astype(np.float64) * 255 / 16
    blocks = X.reshape(1797, 3, 8, 4, 8, 4)
    assert np.array_equal(blocks.min(axis=(3, 5)), blocks.max(axis=(3, 5)))
    for c in range(3):
        assert np.allclose(blocks[:, c, :, 0, :, 0], expected)


def test_get_digits_data_mean_subtraction_sizes_and_determinism():
    raw = get_digits_data(num_training=100, num_validation=50, num_test=20, subtract_mean=False)
    data = get_digits_data(num_training=100, num_validation=50, num_test=20)
    assert data["X_train"].shape == (100, 3, 32, 32) and data["X_test"].shape == (20, 3, 32, 32)
    mean_image = raw["X_train"].mean(axis=0)
    for key in ("X_train", "X_val", "X_test"):
        assert np.allclose(data[key], raw[key] - mean_image)
    again = get_digits_data(num_training=100, num_validation=50, num_test=20)
    assert all(np.array_equal(data[k], again[k]) for k in data)
    assert get_digits_data(image_size=8)["X_train"].shape == (1297, 3, 8, 8)
    assert get_digits_data(image_size=16)["X_val"].shape == (250, 3, 16, 16)


def test_get_digits_data_errors(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="image_size"):
        get_digits_data(image_size=12)
    with pytest.raises(ValueError, match="exceeds the 1797 digits"):
        get_digits_data(num_training=1500, num_validation=250, num_test=250)
    places = [str(tmp_path / "a" / "digits.npz"), str(tmp_path / "b" / "digits.npz")]
    monkeypatch.setattr(data_utils, "_digits_candidates", lambda: places)
    with pytest.raises(FileNotFoundError) as error:
        get_digits_data()
    assert all(place in str(error.value) for place in places)


def test_get_digits_data_finds_the_repository_fixture_and_accepts_a_path(tmp_path):
    assert str(DIGITS_NPZ) in data_utils._digits_candidates()
    copy = tmp_path / "digits.npz"
    copy.write_bytes(DIGITS_NPZ.read_bytes())
    from_path = get_digits_data(path=str(copy), num_training=10, num_validation=5, num_test=5)
    default = get_digits_data(num_training=10, num_validation=5, num_test=5)
    assert all(np.array_equal(from_path[k], default[k]) for k in default)


def test_make_digits_is_reproducible(tmp_path, raw_digits):
    pytest.importorskip("sklearn", reason="make_digits.py needs scikit-learn's bundled digits")
    spec = importlib.util.spec_from_file_location(
        "make_digits", ROOT / "fixtures" / "datasets" / "make_digits.py")
    make_digits = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_digits)
    first, second = tmp_path / "first.npz", tmp_path / "second.npz"
    make_digits.main(str(first))
    make_digits.main(str(second))
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as archive:
        assert [info.date_time for info in archive.infolist()] == [(1980, 1, 1, 0, 0, 0)] * 2
    with np.load(first) as rebuilt:
        assert np.array_equal(rebuilt["images"], raw_digits[0])
        assert np.array_equal(rebuilt["labels"], raw_digits[1])
