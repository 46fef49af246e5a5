"""Unit tests of course_utils.pretrained: the zoo's weights with no network and bad cache files."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
import torch
import torchvision
from torchvision.models import ResNet18_Weights, Weights, WeightsEnum

from course_utils import pretrained


@pytest.fixture(autouse=True)
def _private_torch_home(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))


def weights_for(state: dict, folder: Path, name: str = "resnet18") -> WeightsEnum:
    """Save ``state`` as torch.hub would, under a name carrying its hash; its WeightsEnum."""
    raw = folder / "raw.pth"
    torch.save(state, raw)
    digest = hashlib.sha256(raw.read_bytes()).hexdigest()[:8]
    url = f"https://weights.invalid/{name}-{digest}.pth"
    enum = WeightsEnum("TinyWeights", {"V1": Weights(url=url, transforms=None, meta={})})
    target = pretrained.cached_file(enum.V1)
    target.parent.mkdir(parents=True, exist_ok=True)
    raw.replace(target)
    return enum.V1


def resnet_state(seed: int = 0) -> dict:
    torch.manual_seed(seed)
    return torchvision.models.resnet18(weights=None).state_dict()


def test_the_cache_is_torch_hubs_checkpoints_folder(tmp_path):
    path = pretrained.cached_file(ResNet18_Weights.IMAGENET1K_V1)
    assert path == tmp_path / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"


def test_without_network_it_fails_fast_and_keeps_the_random_model(capsys):
    start = time.monotonic()
    model, loaded = pretrained.load_pretrained("resnet18", ResNet18_Weights.DEFAULT)
    assert not loaded and isinstance(model, torchvision.models.ResNet)
    assert time.monotonic() - start < 10
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("[weights] ResNet18_Weights.IMAGENET1K_V1: download failed (")
    assert line.endswith("resnet18 keeps its random initialisation")
    assert not pretrained.cached_file(ResNet18_Weights.DEFAULT).exists()  # no partial file


def test_downloads_can_be_switched_off(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DOWNLOAD_TIMEOUT", "0")
    _, loaded = pretrained.load_pretrained("resnet18", ResNet18_Weights.DEFAULT)
    assert not loaded and "downloads off (COURSE_DOWNLOAD_TIMEOUT=0)" in capsys.readouterr().out


def test_no_weights_asked_for_is_a_random_model():
    model, loaded = pretrained.load_pretrained("resnet18", None)
    assert not loaded and sum(p.numel() for p in model.parameters()) == 11_689_512


def test_a_good_cached_file_is_loaded(tmp_path, capsys):
    state = resnet_state(1)
    weights = weights_for(state, tmp_path)
    model, loaded = pretrained.load_pretrained("resnet18", weights)
    assert loaded and "loaded from" in capsys.readouterr().out
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())


def test_a_corrupt_cached_file_is_refused_with_the_file_and_the_fix(tmp_path):
    weights = weights_for(resnet_state(), tmp_path)
    path = pretrained.cached_file(weights)
    path.write_bytes(path.read_bytes()[:1000])  # a broken download
    with pytest.raises(pretrained.WeightsFileError, match="is not the weights file") as error:
        pretrained.load_pretrained("resnet18", weights)
    assert str(path) in str(error.value) and "Delete it" in str(error.value)


def test_another_models_file_is_refused_with_the_file_and_the_fix(tmp_path):
    torch.manual_seed(0)
    other = torchvision.models.get_model("resnet34", weights=None).state_dict()
    weights = weights_for(other, tmp_path)  # its hash is right, its content another network's
    with pytest.raises(pretrained.WeightsFileError, match="does not hold") as error:
        pretrained.load_pretrained("resnet18", weights)
    assert str(pretrained.cached_file(weights)) in str(error.value)
