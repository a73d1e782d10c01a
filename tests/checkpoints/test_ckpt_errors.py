"""Files we cannot render give one clear line that names the file and says what it is."""

import pickle
import re
import zipfile

import numpy as np
import pytest
import torch

from installation.checkpoints import load_checkpoint, load_generator
from installation.errors import CheckpointError
from tests.checkpoints.ckpt_writers import (
    Network,
    random_state,
    rosinality_g_ema,
    rosinality_train_dict,
    small_config,
    tf_networks,
    tf_pickle_bytes,
    torch_save_bytes,
    write_nvlabs_pickle,
)


def load_error(path) -> str:
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


@pytest.fixture(scope="module")
def nvlabs_bytes(tmp_path_factory):
    config = small_config()
    path = tmp_path_factory.mktemp("nv") / "network.pkl"
    write_nvlabs_pickle(path, random_state(config), config)
    return path.read_bytes()


def test_missing_file(tmp_path):
    assert "no such file" in load_error(tmp_path / "nope.pkl")


def test_directory(tmp_path):
    assert "directory" in load_error(tmp_path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pkl"
    path.touch()
    assert "empty" in load_error(path)


def test_truncated_pickle(tmp_path, nvlabs_bytes):
    path = tmp_path / "partial-download.pkl"
    path.write_bytes(nvlabs_bytes[: len(nvlabs_bytes) // 2])
    assert "truncated or corrupt" in load_error(path)


def test_truncated_zip(tmp_path):
    data = torch_save_bytes({"g_ema": {"style.1.weight": torch.ones(64, 64)}})
    path = tmp_path / "partial.pt"
    path.write_bytes(data[: len(data) // 2])
    assert "truncated or corrupt" in load_error(path)


def test_png(tmp_path):
    path = tmp_path / "seed0001.pkl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    message = load_error(path)
    assert "PNG image" in message and "supported:" in message


def test_text(tmp_path):
    path = tmp_path / "README.pkl"
    path.write_text("Download the model from the link below.\n")
    assert "text file" in load_error(path)


def test_zip_that_is_not_torch_save(tmp_path):
    path = tmp_path / "dataset.pkl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("images/00000.png", b"\x89PNG")
    assert "zip archive without data.pkl" in load_error(path)


def test_pickle_of_something_else(tmp_path):
    path = tmp_path / "list.pkl"
    path.write_bytes(pickle.dumps([1, 2, 3], protocol=4))
    assert "not a known generator checkpoint" in load_error(path)


def test_torch_save_of_something_else(tmp_path):
    path = tmp_path / "resnet50.pt"
    path.write_bytes(torch_save_bytes({"conv1.weight": torch.zeros(2, 3, 1, 1)}))
    assert "dict with keys conv1.weight" in load_error(path)


def test_stylegan3_without_its_geometry(tmp_path):
    config = small_config()
    state = {
        "mapping.fc0.weight": torch.ones(32, 32),
        "mapping.fc0.bias": torch.ones(32),
        "mapping.w_avg": torch.zeros(32),
        "synthesis.input.weight": torch.ones(32, 32),
        "synthesis.input.affine.weight": torch.ones(4, 32),
        "synthesis.input.freqs": torch.ones(32, 2),
        "synthesis.L0_36_512.weight": torch.ones(32, 32, 3, 3),
        "synthesis.L0_36_512.magnitude_ema": torch.ones([]),
    }
    path = tmp_path / "stylegan3-r-afhqv2-512x512.pkl"
    write_nvlabs_pickle(path, state, config)
    message = load_error(path)
    assert "StyleGAN3 synthesis network has no layer_names" in message


def test_other_network_classes(tmp_path):
    path = tmp_path / "projected-gan.pkl"
    config = small_config()
    state = random_state(config)
    state["synthesis.b16.attention.weight"] = torch.ones(2)
    write_nvlabs_pickle(path, state, config, classes={"synthesis.b16.attention": "SelfAttention"})
    message = load_error(path)
    assert "SelfAttention" in message and "non-StyleGAN2" in message


def test_lucidrains(tmp_path):
    gan = {
        "S.net.0.weight": torch.ones(4, 4),
        "G.blocks.0.conv1.weight": torch.ones(4, 4, 3, 3),
        "GE.blocks.0.conv1.weight": torch.ones(4, 4, 3, 3),
        "D.blocks.0.weight": torch.ones(2),
    }
    path = tmp_path / "model_150.pt"
    path.write_bytes(torch_save_bytes({"GAN": gan, "version": "1.8.0"}))
    assert "lucidrains stylegan2-pytorch" in load_error(path)


def test_swagan_by_args(tmp_path):
    config = small_config(conv_clamp=None, num_fp16_res=0)
    path = tmp_path / "swagan-100000.pt"
    path.write_bytes(torch_save_bytes(rosinality_train_dict(random_state(config), config, arch="swagan")))
    assert "SWAGAN" in load_error(path)


def test_swagan_by_tensor_names(tmp_path):
    config = small_config(conv_clamp=None, num_fp16_res=0)
    g_ema = rosinality_g_ema(random_state(config), config)
    g_ema["to_rgbs.0.iwt.ll"] = torch.ones(1, 1, 2, 2)
    path = tmp_path / "swagan.pt"
    path.write_bytes(torch_save_bytes({"g_ema": g_ema, "latent_avg": torch.zeros(32)}))
    assert "SWAGAN" in load_error(path)


def test_stylegan1_tensorflow(tmp_path):
    mapping = Network(
        dict(
            version=3,
            name="G_mapping",
            static_kwargs={},
            components={},
            build_module_src="",
            build_func_name="G_mapping",
            variables=[("Dense0/weight", np.ones((4, 4), np.float32))],
        )
    )
    synthesis = Network(
        dict(
            version=3,
            name="G_synthesis",
            static_kwargs={},
            components={},
            build_module_src="",
            build_func_name="G_synthesis",
            variables=[("4x4/Const/StyleMod/weight", np.ones((4, 8), np.float32))],
        )
    )
    Gs = Network(
        dict(
            version=3,
            name="G",
            static_kwargs={"resolution": 1024},
            build_module_src="",
            components={"mapping": mapping, "synthesis": synthesis},
            build_func_name="G_style",
            variables=[("dlatent_avg", np.zeros(4, np.float32))],
        )
    )
    path = tmp_path / "karras2019stylegan-ffhq-1024x1024.pkl"
    path.write_bytes(tf_pickle_bytes((Gs, Gs, Gs)))
    assert "StyleGAN (version 1)" in load_error(path)


def test_tensorflow_discriminator_only(tmp_path):
    D = Network(
        dict(
            version=4,
            name="D",
            static_kwargs={},
            components={},
            build_module_src="",
            build_func_name="D_stylegan2",
            variables=[("Output/bias", np.zeros(1, np.float32))],
        )
    )
    path = tmp_path / "D.pkl"
    path.write_bytes(tf_pickle_bytes(D))
    assert "not a generator" in load_error(path)


def test_tensorflow_unknown_variables(tmp_path):
    config = small_config()
    Gs = tf_networks(random_state(config), config)
    Gs._state["components"]["synthesis"]._state["variables"].append(("16x16/Attention/weight", np.ones(2)))
    path = tmp_path / "fork.pkl"
    path.write_bytes(tf_pickle_bytes(Gs))
    assert "16x16/Attention/weight" in load_error(path)


def test_generator_mismatch_is_a_checkpoint_error(tmp_path):
    """Tensors that fit no StyleGAN2 generator fail in load_generator with the same error type."""
    config = small_config()
    state = random_state(config)
    del state["synthesis.b8.conv0.affine.bias"]
    path = tmp_path / "pruned.pkl"
    write_nvlabs_pickle(path, state, config)
    with pytest.raises(
        CheckpointError, match=f"^{re.escape(str(path))}: .*missing synthesis.b8.conv0.affine.bias"
    ):
        load_generator(path)
