"""Fixtures of the end-to-end tests: the fake Telegram Bot API and WhatsApp Graph API on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import FakeTelegram


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeGraphAPI]]:
    with FakeTelegram() as telegram, FakeGraphAPI() as graph:
        yield telegram, graph
