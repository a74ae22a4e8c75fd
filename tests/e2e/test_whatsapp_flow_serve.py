"""The WhatsApp Flow against `bpu-bot serve` as a real process: the Flow key read from a PEM file
with its passphrase, the Flow message sent by the running outbox sender, the data endpoint
driven by the encrypting fake client, completion by a signed `nfm_reply`, the confirmation on
the fake Graph API; a redelivered completion changes nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from fakes.whatsapp_flows import FakeFlowClient, key_pair
from storage.db import Database
from tests.channels.test_whatsapp_flow import NIK, fill_the_flow, submissions
from tests.e2e.test_whatsapp_e2e import Person, Servers, graph, http, servers, text_of  # noqa: F401

pytestmark = pytest.mark.slow


async def test_the_flow_against_the_service(
    servers: Servers,  # noqa: F811  (the fixtures of tests/e2e/test_whatsapp_e2e.py)
    graph: FakeGraphAPI,  # noqa: F811
    db: Database,
    http: httpx.AsyncClient,  # noqa: F811
    tmp_path: Path,
) -> None:
    keys = key_pair()
    pem = tmp_path / "flow_private.pem"
    pem.write_text(keys.private_pem)
    server = servers.start(WHATSAPP_FLOW_PRIVATE_KEY=str(pem), WHATSAPP_FLOW_KEY_PASSPHRASE=keys.passphrase)
    siti = Person(http, server, graph, db)

    replies = await siti.say("daftar")
    replies = await siti.tap(replies, "Formulir sekaligus")
    flow = replies[-1].flow
    assert flow is not None
    whatsapp = FakeFlowClient(http, f"{server.url}/webhook/whatsapp/flow", keys.public_pem)
    params = await fill_the_flow(whatsapp, str(flow["flow_token"]))
    assert params["nik"] == NIK

    completion = meta.from_person(siti.wa_id, meta.flow_reply(siti.wa_id, params), name=siti.name)
    replies = await siti.post(completion)
    (submission,) = await submissions(db)
    assert submission.reference in text_of(replies)

    raw, headers = meta.encode(completion)
    again = await http.post(f"{server.url}/webhook/whatsapp", content=raw, headers=headers)
    assert again.status_code == 200
    assert len(await submissions(db)) == 1 and len(graph.sent(siti.wa_id)) == siti.seen
