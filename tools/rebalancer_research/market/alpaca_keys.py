"""Where `--data alpaca` finds its market data keys: the environment, or a profile in a credentials file.

Like AWS's credentials file: an INI file (default `~/.config/rebalancer/credentials`, or
`$REBALANCER_CREDENTIALS_FILE`) with one section per profile, holding Alpaca's own variable names:

    [paper]
    APCA_API_KEY_ID = PK...
    APCA_API_SECRET_KEY = ...
    # APCA_API_DATA_URL = http://127.0.0.1:8765   (optional: another data endpoint)

Which keys are used, first match wins:
1. `REBALANCER_PROFILE=NAME`: that section of the file (an explicit choice beats keys lying in the env);
2. `APCA_API_KEY_ID` and `APCA_API_SECRET_KEY` in the environment;
3. the file's `[default]` section, when the file exists.

The file holds secrets, so one that others can read (group or world permission bits) is refused, as ssh
refuses such a key: `chmod 600` it. Values never appear in errors; only the file, the profile and the names.
"""

from __future__ import annotations

import configparser
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rebalancer.alpaca.credentials import AlpacaCredentials
from rebalancer.errors import ConfigError

KEY, SECRET, DATA_URL = "APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "APCA_API_DATA_URL"
WHERE = "--data alpaca"


@dataclass(frozen=True)
class MarketDataKeys:
    credentials: AlpacaCredentials
    data_url: str | None
    origin: str  # "environment" or "profile NAME in FILE": for messages, never the values


def credentials_file(env: Mapping[str, str]) -> Path:
    explicit = env.get("REBALANCER_CREDENTIALS_FILE")
    if explicit:
        return Path(explicit).expanduser()
    return Path(env.get("HOME", str(Path.home()))) / ".config" / "rebalancer" / "credentials"


def market_data_keys(env: Mapping[str, str] | None = None) -> MarketDataKeys:
    """The keys `--data alpaca` uses (the module docstring has the order); ConfigError naming what to set."""
    env = os.environ if env is None else env
    path, profile = credentials_file(env), env.get("REBALANCER_PROFILE", "").strip()
    if profile:
        if not path.is_file():
            raise ConfigError(
                f"REBALANCER_PROFILE={profile} but there is no credentials file {path}",
                code="alpaca-keys-missing",
                hint=f"write a [{profile}] section with {KEY} and {SECRET} there (chmod 600), "
                "or set REBALANCER_CREDENTIALS_FILE",
                where=WHERE,
            )
        parser = _read(path)
        if not parser.has_section(profile):
            raise ConfigError(
                f"{path} has no [{profile}] section (it has: {', '.join(parser.sections()) or 'none'})",
                code="alpaca-keys-missing",
                hint="choose one of its sections with REBALANCER_PROFILE, or add the section",
                where=WHERE,
            )
        return _keys(parser, path, profile)
    key, secret = env.get(KEY), env.get(SECRET)
    if key and secret:
        return MarketDataKeys(AlpacaCredentials(key, secret), env.get(DATA_URL) or None, "environment")
    fallback = _read(path) if path.is_file() else None
    if fallback is None or not fallback.has_section("default"):
        raise ConfigError(
            "no Alpaca market data keys: none in the environment and no [default] profile",
            code="alpaca-keys-missing",
            hint=f"export {KEY} and {SECRET} (a paper account's keys are enough), or write them in a "
            f"[default] section of {path} (chmod 600), or choose a section with REBALANCER_PROFILE",
            where=WHERE,
        )
    return _keys(fallback, path, "default")


def _read(path: Path) -> configparser.ConfigParser:
    _refuse_readable_by_others(path)
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the APCA_ names' case
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as err:
        line = getattr(err, "lineno", "?")
        raise ConfigError(
            f"{path}: not an INI credentials file ({type(err).__name__} at line {line})",
            code="credentials-malformed",
            hint=f"one [profile] section per account, with {KEY} = ... and {SECRET} = ...",
            where=WHERE,
        ) from None
    return parser


def _keys(parser: configparser.ConfigParser, path: Path, profile: str) -> MarketDataKeys:
    section = parser[profile]
    key, secret = section.get(KEY, "").strip(), section.get(SECRET, "").strip()
    if not key or not secret:
        raise ConfigError(
            f"{path} [{profile}] lacks {KEY if not key else SECRET}",
            code="credentials-malformed",
            hint=f"the section needs both {KEY} and {SECRET}",
            where=WHERE,
        )
    url = section.get(DATA_URL, "").strip() or None
    return MarketDataKeys(AlpacaCredentials(key, secret), url, f"profile {profile} in {path}")


def _refuse_readable_by_others(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path} holds secrets but others may read it (mode {stat.filemode(mode)})",
            code="credentials-exposed",
            hint=f"chmod 600 {path}",
            where=WHERE,
        )
