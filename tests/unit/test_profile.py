"""Unit tests of course_utils.profile: the COURSE_PROFILE switch, settings and data folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils import profile
from course_utils.profile import (
    PROFILES,
    SETTINGS,
    current_profile,
    data_dir,
    mirror_dir,
    settings,
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("COURSE_PROFILE", "COURSE_DATA_DIR", "COURSE_DATA_MIRROR"):
        monkeypatch.delenv(name, raising=False)


# ------------------------------------------------------------------------------ current_profile


def test_default_profile_is_full():
    assert current_profile() == "full"


@pytest.mark.parametrize("value", ["fast", "FAST", " fast\n"])
def test_fast_profile_from_env(monkeypatch, value):
    monkeypatch.setenv("COURSE_PROFILE", value)
    assert current_profile() == "fast"


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_profile_means_full(monkeypatch, value):
    monkeypatch.setenv("COURSE_PROFILE", value)
    assert current_profile() == "full"


@pytest.mark.parametrize("value", ["turbo", "ful", "0"])
def test_unknown_profile_raises(monkeypatch, value):
    monkeypatch.setenv("COURSE_PROFILE", value)
    with pytest.raises(ValueError, match=rf"COURSE_PROFILE='{value}'.*full, fast"):
        current_profile()


# ------------------------------------------------------------------------------------- settings


@pytest.mark.parametrize("chapter", sorted(SETTINGS))
@pytest.mark.parametrize("active", PROFILES)
def test_settings_per_chapter(monkeypatch, chapter, active):
    monkeypatch.setenv("COURSE_PROFILE", active)
    cfg = settings(chapter)
    assert vars(cfg) == {"profile": active, **SETTINGS[chapter][active]}


def test_settings_known_values(monkeypatch):
    assert settings("01").matmul_size == 1024
    assert settings("02").fit_steps == 200
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    cfg = settings("01")
    assert cfg.profile == "fast"
    assert cfg.matmul_size == 256
    assert settings("02").gradcheck_size == 4


@pytest.mark.parametrize("chapter", sorted(SETTINGS))
def test_both_profiles_define_the_same_keys_and_fast_is_not_bigger(chapter):
    full, fast = SETTINGS[chapter]["full"], SETTINGS[chapter]["fast"]
    assert set(full) == set(fast)
    assert set(SETTINGS[chapter]) == set(PROFILES)
    for key, value in fast.items():
        if isinstance(value, int | float):
            assert value <= full[key], key


@pytest.mark.parametrize("chapter", ["99", "1", 1, ""])
def test_settings_unknown_chapter_raises_keyerror(chapter):
    with pytest.raises(KeyError, match="no settings for chapter"):
        settings(chapter)


def test_settings_unknown_profile_raises_for_a_known_chapter(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "slow")
    with pytest.raises(ValueError, match="slow"):
        settings("01")


def test_settings_returns_a_copy():
    cfg = settings("01")
    cfg.matmul_size = 1
    assert settings("01").matmul_size == 1024


def test_settings_table_is_read_only():
    with pytest.raises(TypeError):
        SETTINGS["99"] = {"full": {}, "fast": {}}  # type: ignore[index]


# ------------------------------------------------------------------------------------- data_dir


def test_data_dir_honours_env_and_creates_it(monkeypatch, tmp_path):
    target = tmp_path / "nested" / "course-data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(target))
    result = data_dir()
    assert result == target.resolve()
    assert result.is_dir()
    assert data_dir() == result  # idempotent: an existing folder is fine


def test_data_dir_expands_user(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_DATA_DIR", "~/course-data")
    assert data_dir() == (tmp_path / "course-data").resolve()
    assert (tmp_path / "course-data").is_dir()


def test_data_dir_is_absolute_for_a_relative_setting(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_DATA_DIR", "relative/data")
    result = data_dir()
    assert result.is_absolute()
    assert result == (tmp_path / "relative" / "data").resolve()


@pytest.mark.parametrize("setting", [None, ""])
def test_data_dir_default_is_data_below_repo_root(monkeypatch, tmp_path, setting):
    monkeypatch.setattr(profile, "REPO_ROOT", tmp_path)
    if setting is not None:
        monkeypatch.setenv("COURSE_DATA_DIR", setting)
    assert data_dir() == (tmp_path / "data").resolve()
    assert (tmp_path / "data").is_dir()


def test_repo_root_is_the_folder_holding_the_package():
    assert (profile.REPO_ROOT / "course_utils" / "profile.py").is_file()
    assert Path(profile.__file__).resolve().parent.parent == profile.REPO_ROOT


# ----------------------------------------------------------------------------------- mirror_dir


def test_mirror_dir_none_when_unset():
    assert mirror_dir() is None


def test_mirror_dir_none_when_empty(monkeypatch):
    monkeypatch.setenv("COURSE_DATA_MIRROR", "")
    assert mirror_dir() is None


def test_mirror_dir_none_when_missing(monkeypatch, tmp_path):
    missing = tmp_path / "no-such-mirror"
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(missing))
    assert mirror_dir() is None
    assert not missing.exists()  # never created


def test_mirror_dir_none_when_a_file(monkeypatch, tmp_path):
    file = tmp_path / "mirror.txt"
    file.write_text("not a folder")
    monkeypatch.setenv("COURSE_DATA_MIRROR", str(file))
    assert mirror_dir() is None


def test_mirror_dir_returns_resolved_existing_folder(monkeypatch, tmp_path):
    (tmp_path / "mirror").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_DATA_MIRROR", "./mirror/../mirror")
    assert mirror_dir() == (tmp_path / "mirror").resolve()


def test_mirror_dir_expands_user(monkeypatch, tmp_path):
    (tmp_path / "shared").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_DATA_MIRROR", "~/shared")
    assert mirror_dir() == (tmp_path / "shared").resolve()
