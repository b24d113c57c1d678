"""The operator console, its JSON API (/api/v1) and the Telegram Mini App (decision 017)."""
