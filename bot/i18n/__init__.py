"""The bot's own words in its users' languages: gettext catalogs (Babel) chosen per call.

Article text is never translated. The locale of a command or an alert travels with it in a
context variable set for that one call (``use_locale``), never as a process-wide setting.
"""

from bot.i18n.catalog import (
    DEFAULT,
    LANGUAGES,
    N_,
    _,
    _n,
    current,
    language_name,
    normalize,
    use_locale,
)

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "N_",
    "_",
    "_n",
    "current",
    "language_name",
    "normalize",
    "use_locale",
]
