"""Unit tests of course_utils.profile: the COURSE_PROFILE switch and each chapter's settings."""

from __future__ import annotations

import pytest

from course_utils import profile
from course_utils.config import ConfigError
from course_utils.profile import PROFILES, SETTINGS, current_profile, settings


@pytest.fixture(autouse=True)
def _no_profile(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)


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
    with pytest.raises(ConfigError, match=rf"COURSE_PROFILE='{value}'.*full, fast"):
        current_profile()


def test_the_profile_switches_what_settings_returns(monkeypatch):
    full = settings("07")
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    fast = settings("07")
    assert (full.profile, fast.profile) == ("full", "fast")
    assert fast.train_images < full.train_images


@pytest.mark.parametrize("chapter", sorted(SETTINGS))
def test_both_profiles_define_the_same_keys_and_fast_is_not_bigger(chapter):
    full, fast = SETTINGS[chapter]["full"], SETTINGS[chapter]["fast"]
    assert set(SETTINGS[chapter]) == set(PROFILES)
    assert set(full) == set(fast)
    for key, value in fast.items():
        if isinstance(value, int | float):
            assert value <= full[key], key


@pytest.mark.parametrize("chapter", ["99", "1", 1, ""])
def test_settings_unknown_chapter_raises_keyerror(chapter):
    with pytest.raises(KeyError, match="no settings for chapter"):
        settings(chapter)


def test_changing_the_returned_namespace_changes_nothing_else():
    cfg = settings("01")
    cfg.matmul_size = 1
    assert settings("01").matmul_size != 1


@pytest.mark.parametrize(
    "change",
    [
        lambda table: table.__setitem__("99", {}),
        lambda table: table["07"].__setitem__("full", {}),
        lambda table: table["07"]["full"].__setitem__("epochs", 99),
        lambda table: table["07"]["full"].pop("epochs"),
    ],
    ids=["chapter", "profile", "value", "removal"],
)
def test_the_settings_table_is_read_only_all_the_way_down(change):
    before = settings("07").epochs
    with pytest.raises((TypeError, AttributeError)):
        change(SETTINGS)
    assert settings("07").epochs == before


def test_fast_takes_every_setting_it_does_not_shrink_from_full():
    table = {"99": {"full": {"epochs": 10, "batch": 64}, "fast": {"epochs": 1}}}
    assert profile._with_fast_filled_in(table)["99"]["fast"] == {"epochs": 1, "batch": 64}


def test_a_fast_setting_that_full_lacks_is_an_error():
    table = {"99": {"full": {"epochs": 10}, "fast": {"epoch": 1}}}
    with pytest.raises(KeyError, match=r"chapter 99: fast settings \['epoch'\]"):
        profile._with_fast_filled_in(table)
