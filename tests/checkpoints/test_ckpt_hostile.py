"""Files built to run code when unpickled: loading refuses them and their payload never runs."""

import pickle
import sys

import pytest

from installation.checkpoints import load_checkpoint
from installation.errors import CheckpointError
from tests.checkpoints.ckpt_writers import (
    random_state,
    reduce_pickle,
    replace_in_zip,
    small_config,
    torch_save_bytes,
    write_nvlabs_pickle,
)

# torch's weights-only reader warns about the protocol-4 payloads before refusing them.
pytestmark = pytest.mark.filterwarnings("ignore:Detected pickle protocol")

NAMES = [
    "os.system",
    "posix.system",
    "subprocess.Popen",
    "builtins.eval",
    "builtins.exec",
    "importlib.import_module",
    "shutil.copyfile",
]


def payload(name, marker, tmp_path):
    """(module, global, *arguments) of a call that creates `marker` under the stock unpickler."""
    module, attr = name.split(".")
    create = f"open({str(marker)!r}, 'w').close()"
    if module in ("os", "posix"):
        return module, attr, f"touch '{marker}'"
    if module == "subprocess":
        return module, attr, ["touch", str(marker)]
    if module == "builtins":
        return module, attr, create
    if module == "importlib":  # importing a module runs it
        (tmp_path / "evil_module.py").write_text(create + "\n")
        return module, attr, "evil_module"
    source = tmp_path / "source.txt"  # shutil: a module that is simply not on the list
    source.write_text("x")
    return module, attr, str(source), str(marker)


@pytest.fixture
def marker(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))  # where import_module would find evil_module
    yield tmp_path / "pwned"
    sys.modules.pop("evil_module", None)


def test_payloads_are_live(tmp_path, marker):
    """Control: the stock unpickler does run such a file, so the refusals below mean something."""
    _, _, *args = payload("builtins.exec", marker, tmp_path)
    pickle.loads(reduce_pickle("builtins", "exec", *args))
    assert marker.exists()


@pytest.mark.parametrize("name", NAMES)
def test_hostile_pickle(tmp_path, marker, name):
    module, attr, *args = payload(name, marker, tmp_path)
    path = tmp_path / "model.pkl"
    path.write_bytes(reduce_pickle(module, attr, *args))
    with pytest.raises(CheckpointError, match=f"refused.*{module}\\.{attr}"):
        load_checkpoint(path)
    assert not marker.exists()


@pytest.mark.parametrize("name", NAMES)
def test_hostile_torch_zip(tmp_path, marker, name):
    """A torch.save zip whose data.pkl calls something else than tensor constructors."""
    module, attr, *args = payload(name, marker, tmp_path)
    genuine = tmp_path / "genuine.pt"
    genuine.write_bytes(torch_save_bytes({"g_ema": {}, "latent_avg": None}))
    path = tmp_path / "model.pt"
    replace_in_zip(genuine, path, "data.pkl", reduce_pickle(module, attr, *args))
    with pytest.raises(CheckpointError, match=f"refused.*{module}\\.{attr}"):
        load_checkpoint(path)
    assert not marker.exists()


def test_hostile_legacy_torch_stream(tmp_path, marker):
    _, _, *args = payload("os.system", marker, tmp_path)
    stream = torch_save_bytes({"g_ema": {}}, legacy=True)
    magic_header = stream[: stream.index(b".") + 1]  # the pickled magic number comes first
    path = tmp_path / "model.pt"
    path.write_bytes(magic_header + reduce_pickle("os", "system", *args))
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(path)
    assert not marker.exists()


def test_hostile_storage_blob_inside_network_pickle(tmp_path, marker):
    """Each tensor's storage is a nested torch.save stream: it gets the same scrutiny."""
    _, _, *args = payload("os.system", marker, tmp_path)
    blob = reduce_pickle("os", "system", *args)
    call = b"ctorch.storage\n_load_from_bytes\n" + pickle.dumps((blob,), protocol=3)[2:-1] + b"R"
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04" + call + b".")
    with pytest.raises(CheckpointError, match="refused.*os.system"):
        load_checkpoint(path)
    assert not marker.exists()


def test_module_src_is_never_executed(tmp_path, marker):
    """NVIDIA's pickles carry their module source; the genuine loader execs it, this one reads tensors."""
    config = small_config()
    path = tmp_path / "network-snapshot.pkl"
    write_nvlabs_pickle(
        path, random_state(config), config, module_src=f"open({str(marker)!r}, 'w').close()\n"
    )
    assert load_checkpoint(path).format == "nvlabs-pytorch"
    assert not marker.exists()


def test_hostile_global_nested_deep_in_a_network_pickle(tmp_path, marker):
    """The allow-list applies everywhere in the file, not only at the top."""
    _, _, *args = payload("builtins.eval", marker, tmp_path)
    inner = reduce_pickle("builtins", "eval", *args)[2:-1]
    # {'G_ema': eval(...)}: a dict whose value is the call
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04}(X\x05\x00\x00\x00G_ema" + inner + b"u.")
    with pytest.raises(CheckpointError, match="builtins.eval"):
        load_checkpoint(path)
    assert not marker.exists()


def test_stand_in_classes_cannot_be_rewritten(tmp_path):
    """BUILD with a slot state on a class would set class attributes for the rest of the process."""
    # EasyDict stand-in, then state (None, {'__len__': numpy.dtype}), then BUILD
    path = tmp_path / "model.pkl"
    path.write_bytes(b"\x80\x04cdnnlib.util\nEasyDict\nN}X\x07\x00\x00\x00__len__cnumpy\ndtype\ns\x86b.")
    with pytest.raises(CheckpointError, match="modify class EasyDict"):
        load_checkpoint(path)
