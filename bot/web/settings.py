"""``[web]``: the operator console and the Telegram Mini App. Kept beside the console (not in
``bot/config.py``, which ``Settings`` imports it into) so the shared config module stays small;
like it, this module needs only pydantic."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class WebConfig(BaseModel):
    """The operator console and the Telegram Mini App (bot/web/): off unless ``listen``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listen: str | None = None
    password: SecretStr | None = Field(default=None, max_length=1024)  # or CRYPTOWIRE_WEB_PASSWORD
    api_token: SecretStr | None = Field(default=None, max_length=1024)  # /api/v1 Bearer token
    # the HTTPS address Telegram opens the Mini App at (the console's /miniapp page)
    public_url: str | None = Field(default=None, max_length=2000)
    session_hours: float = Field(default=12.0, gt=0)

    @property
    def miniapp_url(self) -> str | None:
        """Where Telegram opens the settings Mini App (None: /settings offers commands)."""
        return f"{self.public_url.rstrip('/')}/miniapp" if self.public_url else None

    @model_validator(mode="after")
    def _usable(self) -> WebConfig:
        if self.listen and self.password is None:
            raise ValueError("web.listen needs web.password (or CRYPTOWIRE_WEB_PASSWORD)")
        if self.public_url is not None and not self.public_url.startswith("https://"):
            raise ValueError("web.public_url must start with https:// (Telegram's Mini App rule)")
        return self
