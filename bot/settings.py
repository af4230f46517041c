"""Settings from the environment or `.env`, validated once in `main()`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

OFFICIAL_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/hotel.db"

# What each setting accepts, for the one-line start-up error.
ACCEPTS = {
    "TELEGRAM_BOT_TOKEN": "the token @BotFather gave, like 123456:ABC-DEF…",
    "TELEGRAM_API_BASE_URL": "an http(s) URL ending before the token, like https://api.telegram.org/bot",
    "DATABASE_URL": "sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db",
    "HOTEL_TIMEZONE": "an IANA zone name, like Asia/Shanghai",
    "DEFAULT_LANGUAGE": "zh or en",
    "ADMIN_USER_IDS": "comma-separated Telegram user ids, like 1001,1002",
    "PLAYBOOK_PATH": "the path of a playbook .toml file",
    "LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR",
    "TICK_SECONDS": "a number of seconds above 0 and at most 60",
    "CARD_WINDOW_SECONDS": "a number of seconds from 3 to 300",
}


class Settings(BaseSettings):
    """Every setting the bot reads; see `.env.example` for what each one means."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    telegram_bot_token: str = ""
    telegram_api_base_url: str = OFFICIAL_API_BASE_URL
    database_url: str = DEFAULT_DATABASE_URL
    hotel_timezone: str = "Asia/Shanghai"
    default_language: Literal["zh", "en"] = "zh"
    admin_user_ids: Annotated[frozenset[int], NoDecode] = Field(default=frozenset())
    log_level: str = "INFO"
    # A hotel's own playbook (TOML); empty: the default shipped in bot/playbooks/.
    playbook_path: Path | None = None
    # How often the bot looks for due reminders and status cards to redraw (seconds).
    tick_seconds: float = Field(default=5.0, gt=0, le=60)
    # At most one status-card edit per visit in this window (Telegram: 20 edits/min a group).
    card_window_seconds: float = Field(default=10.0, ge=3, le=300)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: str) -> str:
        value = value.strip()
        if value and (":" not in value or not value.split(":", 1)[0].isdigit()):
            raise ValueError("not a bot token")
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _url_shape(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("not an http(s) URL")
        # The token is appended as is: "…/bot/" would make "…/bot/123:ABC".
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("unknown log level")
        return value.upper()

    @field_validator("database_url")
    @classmethod
    def _database_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("unsupported database driver")
        return value

    @field_validator("hotel_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone") from exc
        return value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("not a list of ids")
            return frozenset(int(part) for part in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.hotel_timezone)

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite file, so start-up can create its folder; None for other databases."""
        prefix = "sqlite+aiosqlite:///"
        if not self.database_url.startswith(prefix):
            return None
        path = self.database_url[len(prefix) :]
        return None if path in ("", ":memory:") else Path(path)


class SettingsError(Exception):
    """A setting has a value the bot cannot use; the message is one line for the operator."""


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        accepts = ACCEPTS.get(name, "a valid value")
        raise SettingsError(f"{name} is invalid ({error['msg']}); it accepts {accepts}.") from exc
