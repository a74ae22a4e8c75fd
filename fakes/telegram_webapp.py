"""Telegram Mini App launch data, signed as Telegram signs it, for tests of `/webapp/enrol`.

`initData` is a query string (`query_id`, `user` as JSON, `auth_date`, `hash`); `hash` is the
HMAC-SHA256 of the other fields (sorted, `key=value` lines) with the key HMAC-SHA256("WebAppData",
bot token). Telegram passes it, with the theme, in the fragment of the Mini App's address.
(core.telegram.org/bots/webapps, "Validating data received via the Mini App".)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
    "destructive_text_color": "#ec3942",
}
"""Telegram Desktop's night theme, as `themeParams` carries it."""


def init_data(token: str, user_id: int, first_name: str = "Siti", *, auth_date: int | None = None) -> str:
    """The `initData` Telegram gives a Mini App opened from the bot's `web_app` button."""
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {"id": user_id, "first_name": first_name, "language_code": "id", "allows_write_to_pm": True},
            separators=(",", ":"),
        ),
        "auth_date": str(auth_date if auth_date is not None else int(time.time())),
    }
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def launch_fragment(init: str, theme: dict[str, str] | None = None) -> str:
    """The address fragment Telegram opens the Mini App with."""
    return "#" + urlencode(
        {
            "tgWebAppData": init,
            "tgWebAppVersion": "8.0",
            "tgWebAppPlatform": "android",
            "tgWebAppThemeParams": json.dumps(theme or THEME, separators=(",", ":")),
        }
    )
