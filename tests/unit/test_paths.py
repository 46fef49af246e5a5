"""Unit tests of course_utils.paths: the data directory and the mirror, and what is refused."""

from __future__ import annotations

import pytest

from course_utils import paths
from course_utils.errors import DatasetFileError
from course_utils.paths import REPO_ROOT, data_dir, mirror_dir


def test_repo_root_holds_the_package_and_the_makefile():
    assert (REPO_ROOT / "course_utils" / "paths.py").is_file()
    assert (REPO_ROOT / "Makefile").is_file()


def test_data_dir_honours_the_setting_and_creates_it(monkeypatch, tmp_path):
    target = tmp_path / "nested" / "course-data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(target))
    assert data_dir() == target.resolve() and target.is_dir()
    assert data_dir() == target.resolve()  # an existing folder is fine


def test_data_dir_expands_user(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_DATA_DIR", "~/course-data")
    assert data_dir() == (tmp_path / "course-data").resolve()


def test_a_relative_data_dir_is_taken_from_the_repository_root_not_the_cwd(monkeypatch, tmp_path):
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "repo")
    monkeypatch.setenv("COURSE_DATA_DIR", "relative/data")
    for folder in (tmp_path, tmp_path / "elsewhere"):
        folder.mkdir(exist_ok=True)
        monkeypatch.chdir(folder)
        assert data_dir() == (tmp_path / "repo" / "relative" / "data").resolve()


@pytest.mark.parametrize("setting", [None, "", "  "])
def test_the_default_data_dir_is_data_in_the_repository(monkeypatch, tmp_path, setting):
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path)
    monkeypatch.delenv("COURSE_DATA_DIR")
    if setting is not None:
        monkeypatch.setenv("COURSE_DATA_DIR", setting)
    assert data_dir() == tmp_path / "data" and (tmp_path / "data").is_dir()


@pytest.mark.parametrize("inside", ["", "data", "a/b/.."])
def test_the_data_dir_may_not_be_the_mirror_or_inside_it(monkeypatch, tmp_path, inside):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("COURSE_DATA_DIR", str(mirror / inside))
    with pytest.raises(DatasetFileError, match="read-only mirror COURSE_DATA_MIRROR"):
        data_dir()
    assert list(mirror.iterdir()) == []


def test_a_data_dir_beside_the_mirror_is_fine(monkeypatch, tmp_path):
    (tmp_path / "mirror").mkdir()
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "mirror-data"))
    assert data_dir() == tmp_path / "mirror-data"


def test_mirror_dir_is_none_when_unset_or_blank(monkeypatch):
    assert mirror_dir() is None
    monkeypatch.setenv("COURSE_DATA_MIRROR", "")
    assert mirror_dir() is None


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_a_mirror_that_is_not_a_folder_is_said(monkeypatch, tmp_path, kind):
    path = tmp_path / "mirror"
    if kind == "a file":
        path.write_text("not a folder")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(path))
    with pytest.raises(DatasetFileError, match="COURSE_DATA_MIRROR=.* is not a folder"):
        mirror_dir()
    assert kind == "a file" or not path.exists()  # never created


def test_mirror_dir_resolves_the_setting(monkeypatch, tmp_path):
    (tmp_path / "mirror").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_DATA_MIRROR", "~/mirror/../mirror")
    assert mirror_dir() == (tmp_path / "mirror").resolve()


def test_private_names_differ_per_call_and_sit_beside_the_target(tmp_path):
    target = tmp_path / "file.bin"
    names = {paths.private_name(target) for _ in range(100)}
    assert len(names) == 100
    assert all(name.parent == tmp_path and name.name.endswith(".partial") for name in names)
