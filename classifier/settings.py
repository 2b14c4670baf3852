"""Every setting of the project, read from `TRIAGE_*` environment variables (or a `.env` file).

Defaults are the embedded ones `make run` uses: the default model under `models/default`,
state (SQLite audit store, MLflow store) under `var/`, all relative to the working directory.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REGISTERED_MODEL = "vi-report-triage"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_", env_file=".env", extra="ignore")

    samples_dir: Path = Path("data/samples")
    model_dir: Path = Path("models/default")
    # A directory, or an MLflow registry URI such as models:/vi-report-triage@champion.
    model_uri: str | None = None
    data_dir: Path = Path("var")
    database_url: str | None = None
    mlflow_tracking_uri: str | None = Field(default=None, validation_alias="MLFLOW_TRACKING_URI")
    store_text: bool = False
    api_keys: str = ""
    api_key_file: Path | None = None
    admin_keys: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    max_text_chars: int = 20_000
    max_batch: int = 256
    max_body_bytes: int = 2_000_000
    log_level: str = "INFO"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'triage.db'}"

    @property
    def resolved_tracking_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{self.data_dir / 'mlflow.db'}"

    @property
    def resolved_model_uri(self) -> str:
        return self.model_uri or str(self.model_dir)

    def keys(self) -> set[str]:
        """Scoring API keys from `TRIAGE_API_KEYS` (comma-separated) and the key file."""
        keys = {k.strip() for k in self.api_keys.split(",") if k.strip()}
        if self.api_key_file and self.api_key_file.is_file():
            keys |= {
                line.strip()
                for line in self.api_key_file.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")
            }
        return keys

    def admin_key_set(self) -> set[str]:
        return {k.strip() for k in self.admin_keys.split(",") if k.strip()}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
