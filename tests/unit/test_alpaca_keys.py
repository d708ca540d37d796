"""`--data alpaca` keys: the environment, or a profile in a credentials file (and never a leaked value)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rebalancer.errors import ConfigError
from rebalancer_research.market.alpaca_keys import market_data_keys

PAPER = "PKPAPERKEY0001"
PAPER_SECRET = "paper-secret-value-0001"  # pragma: allowlist secret (a planted test value)
LIVE = "AKLIVEKEY0002"
ENV_SECRET = "envsecret"  # pragma: allowlist secret (a planted test value)
LIVE_SECRET = "live-secret-value-0002"  # pragma: allowlist secret (a planted test value)


def _file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "credentials"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def _two_profiles(tmp_path: Path) -> Path:
    return _file(
        tmp_path,
        f"[default]\nAPCA_API_KEY_ID = {PAPER}\nAPCA_API_SECRET_KEY = {PAPER_SECRET}\n\n"
        f"[live]\nAPCA_API_KEY_ID = {LIVE}\nAPCA_API_SECRET_KEY = {LIVE_SECRET}\n"
        "APCA_API_DATA_URL = http://127.0.0.1:9999\n",
    )


def test_the_environment_keys_are_used_when_no_profile_is_chosen(tmp_path: Path) -> None:
    path = _two_profiles(tmp_path)
    env = {
        "APCA_API_KEY_ID": "ENVKEY",
        "APCA_API_SECRET_KEY": ENV_SECRET,
        "REBALANCER_CREDENTIALS_FILE": str(path),
    }
    keys = market_data_keys(env)
    assert keys.credentials.key_id == "ENVKEY"
    assert keys.origin == "environment"


def test_a_chosen_profile_beats_keys_lying_in_the_environment(tmp_path: Path) -> None:
    path = _two_profiles(tmp_path)
    env = {
        "APCA_API_KEY_ID": "ENVKEY",
        "APCA_API_SECRET_KEY": ENV_SECRET,
        "REBALANCER_CREDENTIALS_FILE": str(path),
        "REBALANCER_PROFILE": "live",
    }
    keys = market_data_keys(env)
    assert (keys.credentials.key_id, keys.credentials.secret_key) == (LIVE, LIVE_SECRET)
    assert keys.data_url == "http://127.0.0.1:9999"
    assert keys.origin == f"profile live in {path}"


def test_without_env_keys_the_default_profile_is_read_from_the_home_folder(tmp_path: Path) -> None:
    folder = tmp_path / ".config" / "rebalancer"
    folder.mkdir(parents=True)
    _two_profiles(folder)
    keys = market_data_keys({"HOME": str(tmp_path)})
    assert keys.credentials.key_id == PAPER
    assert keys.data_url is None


def test_nothing_anywhere_names_both_ways_to_give_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        market_data_keys({"HOME": str(tmp_path)})
    assert err.value.code == "alpaca-keys-missing"
    assert "APCA_API_KEY_ID" in err.value.hint
    assert str(tmp_path / ".config" / "rebalancer" / "credentials") in err.value.hint


def test_a_missing_profile_lists_the_sections_there_are(tmp_path: Path) -> None:
    path = _two_profiles(tmp_path)
    with pytest.raises(ConfigError) as err:
        market_data_keys({"REBALANCER_CREDENTIALS_FILE": str(path), "REBALANCER_PROFILE": "papr"})
    assert err.value.code == "alpaca-keys-missing"
    assert "no [papr] section (it has: default, live)" in str(err.value)


def test_a_chosen_profile_without_a_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no credentials file") as err:
        market_data_keys({"HOME": str(tmp_path), "REBALANCER_PROFILE": "paper"})
    assert err.value.code == "alpaca-keys-missing"


def test_a_file_others_can_read_is_refused_without_showing_its_values(tmp_path: Path) -> None:
    path = _two_profiles(tmp_path)
    path.chmod(0o644)
    with pytest.raises(ConfigError) as err:
        market_data_keys({"REBALANCER_CREDENTIALS_FILE": str(path)})
    assert err.value.code == "credentials-exposed"
    assert err.value.hint == f"chmod 600 {path}"
    shown = f"{err.value} {err.value.hint}"
    assert PAPER_SECRET not in shown
    assert LIVE_SECRET not in shown


def test_a_section_missing_its_secret_is_named_and_the_key_not_shown(tmp_path: Path) -> None:
    path = _file(tmp_path, f"[default]\nAPCA_API_KEY_ID = {PAPER}\n")
    with pytest.raises(ConfigError) as err:
        market_data_keys({"REBALANCER_CREDENTIALS_FILE": str(path)})
    assert err.value.code == "credentials-malformed"
    assert "[default] lacks APCA_API_SECRET_KEY" in str(err.value)
    assert PAPER not in str(err.value)


def test_a_file_that_is_not_ini_is_a_clear_error(tmp_path: Path) -> None:
    path = _file(tmp_path, f"APCA_API_KEY_ID={PAPER}\n")
    with pytest.raises(ConfigError) as err:
        market_data_keys({"REBALANCER_CREDENTIALS_FILE": str(path)})
    assert err.value.code == "credentials-malformed"
    assert "line 1" in str(err.value)
    assert PAPER not in str(err.value)
