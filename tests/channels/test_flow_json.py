"""The WhatsApp Flow JSON, checked offline against the rules of Meta's Flow JSON reference that
can be checked without WhatsApp (its renderer is not available here): the structure and routing,
the components' limits (label lengths, counts per screen), data the screens use being declared,
and every input of the form declaration present exactly once, named by its key. Publishing goes
through pywa to the fake Graph API, and publishing again changes nothing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from bot.channels.whatsapp.flow_endpoint import OPTION_TITLE_LIMIT, screen_data
from bot.channels.whatsapp.flow_json import flow_json, flow_name, flow_text
from bot.cli import app
from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from handlers.enrol.fields import FORM
from handlers.enrol.native import View
from handlers.enrol.screens import Choice, build_screens

# Meta's limits (WhatsApp Flows › Flow JSON › Components), characters.
LABEL_LIMITS = {
    "TextInput": 20,
    "TextArea": 20,
    "Dropdown": 30,
    "RadioButtonsGroup": 30,
    "OptIn": 30,
    "DatePicker": 40,
    "Footer": 35,
}
HELPER_LIMIT = 80
TEXT_LIMITS = {"TextHeading": 80, "TextSubheading": 80, "TextBody": 4096}
COMPONENTS_PER_SCREEN = 50
OPT_INS_PER_SCREEN = 5
INPUT_TYPES = frozenset(LABEL_LIMITS) - {"Footer"}
DECLARATION_KEYS = {
    "consent", "nik", "full_name", "birth_date", "phone", "regency", "district", "address",
    "current_address", "email", "occupation", "occupation_other", "income", "programs", "period",
}  # fmt: skip
REFERENCE = re.compile(r"\$\{(data|form)\.([a-z_]+)\}")


@pytest.fixture(scope="module")
def flow() -> dict[str, Any]:
    return flow_json()


def components(screen: dict[str, Any]) -> list[dict[str, Any]]:
    return list(screen["layout"]["children"])


def test_structure_and_routing(flow: dict[str, Any]) -> None:
    assert float(flow["version"]) >= 7.0 and flow["data_api_version"] == "3.0"
    ids = [s["id"] for s in flow["screens"]]
    assert ids == ["CONSENT", "IDENTITY", "CONTACT", "WORK", "PAYMENT", "REVIEW"]
    assert all(re.fullmatch(r"[A-Z_]+", i) for i in ids) and "SUCCESS" not in ids
    routing = flow["routing_model"]
    assert set(routing) == set(ids)
    assert all(set(targets) <= set(ids) and here not in targets for here, targets in routing.items())
    assert routing["CONSENT"] == ["IDENTITY"] and routing["REVIEW"] == []
    terminal = [s for s in flow["screens"] if s.get("terminal")]
    assert [s["id"] for s in terminal] == ["REVIEW"]
    for screen in flow["screens"]:
        footers = [c for c in components(screen) if c["type"] == "Footer"]
        assert len(footers) == 1 and footers[0]["on-click-action"]["name"] == "data_exchange"
        assert screen["layout"]["type"] == "SingleColumnLayout"


def test_component_limits(flow: dict[str, Any]) -> None:
    for screen in flow["screens"]:
        children = components(screen)
        assert len(children) <= COMPONENTS_PER_SCREEN
        assert sum(c["type"] == "OptIn" for c in children) <= OPT_INS_PER_SCREEN
        names = [c["name"] for c in children if "name" in c]
        assert len(names) == len(set(names)), screen["id"]
        for child in children:
            kind = child["type"]
            if kind in LABEL_LIMITS:
                assert len(child["label"]) <= LABEL_LIMITS[kind], (screen["id"], child["label"])
            if "helper-text" in child:
                assert len(child["helper-text"]) <= HELPER_LIMIT, child["helper-text"]
            if kind in TEXT_LIMITS and not REFERENCE.fullmatch(child["text"]):
                assert len(child["text"]) <= TEXT_LIMITS[kind]


def test_what_the_screens_use_is_declared(flow: dict[str, Any]) -> None:
    for screen in flow["screens"]:
        declared = set(screen["data"])
        inputs = {c["name"] for c in components(screen) if "name" in c}
        for kind, key in REFERENCE.findall(json.dumps(screen["layout"])):
            assert key in (declared if kind == "data" else inputs), (screen["id"], kind, key)
        (footer,) = [c for c in components(screen) if c["type"] == "Footer"]
        assert set(footer["on-click-action"]["payload"]) == inputs  # every input is sent


def test_every_input_of_the_declaration_is_there_once_by_its_key(flow: dict[str, Any]) -> None:
    names = Counter(c["name"] for s in flow["screens"] for c in components(s) if c["type"] in INPUT_TYPES)
    helpers = {"region_search"}
    assert set(names) - helpers == DECLARATION_KEYS
    assert all(count == 1 for count in names.values()), names
    screen_of = {c["name"]: s["id"] for s in flow["screens"] for c in components(s) if "name" in c}
    assert {k for k, s in screen_of.items() if s == "IDENTITY"} == {"nik", "full_name", "birth_date"}
    assert screen_of["consent"] == "CONSENT" and screen_of["income"] == screen_of["occupation"] == "WORK"
    assert screen_of["programs"] == screen_of["period"] == "PAYMENT"


def test_dates_and_lists() -> None:
    flow = flow_json()
    by_name = {c["name"]: c for s in flow["screens"] for c in components(s) if "name" in c}
    assert by_name["birth_date"]["type"] == "DatePicker"
    assert by_name["occupation"]["type"] == by_name["regency"]["type"] == "Dropdown"
    assert by_name["programs"]["type"] == "RadioButtonsGroup" and by_name["consent"]["type"] == "OptIn"
    assert by_name["phone"]["input-type"] == "phone" and by_name["email"]["input-type"] == "email"
    assert by_name["email"]["required"] is False and by_name["nik"]["required"] is True


def test_option_titles_fit_whatever_the_list() -> None:
    (contact,) = [s for s in build_screens(FORM) if s.id == "contact"]
    long = "Kab. Kepulauan Siau Tagulandang Biaro"
    view = View(
        contact, {}, {"regency": [Choice("71.09", long)], "district": []}, {"regency": "Mohon pilih."}
    )
    data = screen_data(view)
    assert all(len(o["title"]) <= OPTION_TITLE_LIMIT for o in data["o_regency"])
    assert data["has_notice"] and "Mohon pilih." in data["notice"]  # a list shows no error of its own


def test_the_command_prints_it(flow: dict[str, Any]) -> None:
    printed = CliRunner().invoke(app, ["whatsapp", "flow-json"])
    assert printed.exit_code == 0 and json.loads(printed.stdout) == flow
    assert flow_name(flow_text()) == flow_name(printed.stdout.strip())


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI() as fake:
        yield fake


def publish(graph: FakeGraphAPI, **extra: str) -> Any:
    env = {
        "WHATSAPP_PHONE_NUMBER_ID": meta.PHONE_NUMBER_ID,
        "WHATSAPP_ACCESS_TOKEN": meta.ACCESS_TOKEN,
        "WHATSAPP_APP_SECRET": meta.APP_SECRET,
        "WHATSAPP_API_URL": graph.url,
        "WHATSAPP_BUSINESS_ACCOUNT_ID": meta.WABA_ID,
        "SECRET_KEY": "x",
        "PII_ENCRYPTION_KEY": "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=",
        **extra,
    }
    endpoint = "https://bot.example.id/webhook/whatsapp/flow"
    return CliRunner().invoke(app, ["whatsapp", "flow", "publish", "--endpoint", endpoint], env=env)


def test_publishing_creates_publishes_and_then_changes_nothing(graph: FakeGraphAPI) -> None:
    first = publish(graph)
    assert first.exit_code == 0, first.output
    (flow,) = graph.flows.values()
    assert flow["status"] == "PUBLISHED" and flow["name"] == flow_name(flow_text())
    assert json.loads(flow["json"]) == flow_json()
    assert flow["endpoint_uri"] == "https://bot.example.id/webhook/whatsapp/flow"
    calls = len(graph.flow_calls)
    second = publish(graph)
    assert second.exit_code == 0 and "nothing changed" in second.stdout
    assert len(graph.flows) == 1 and [c.method for c in graph.flow_calls[calls:]] == ["GET"]


def test_a_draft_left_behind_is_completed(graph: FakeGraphAPI) -> None:
    name = flow_name(flow_text())
    graph.flows["777"] = {
        "id": "777",
        "name": name,
        "categories": ["SIGN_UP"],
        "json": None,
        "status": "DRAFT",
    }
    done = publish(graph)
    assert done.exit_code == 0, done.output
    flow = graph.flows["777"]
    assert flow["status"] == "PUBLISHED" and json.loads(flow["json"]) == flow_json()  # uploaded as a file
    assert flow["endpoint_uri"] == "https://bot.example.id/webhook/whatsapp/flow" and len(graph.flows) == 1


def test_publishing_needs_the_business_account_and_https(graph: FakeGraphAPI) -> None:
    missing = publish(graph, WHATSAPP_BUSINESS_ACCOUNT_ID="")
    assert missing.exit_code == 2 and "WHATSAPP_BUSINESS_ACCOUNT_ID" in missing.output
    plain = CliRunner().invoke(app, ["whatsapp", "flow", "publish", "--endpoint", "http://bot.example.id/x"])
    assert plain.exit_code == 2 and "https" in plain.output
    assert graph.flows == {}


def test_the_picture_shows_every_screen_and_input(flow: dict[str, Any]) -> None:
    drawn = CliRunner().invoke(app, ["whatsapp", "flow-picture"])
    assert drawn.exit_code == 0
    texts = [
        node.text or ""
        for node in ElementTree.fromstring(drawn.stdout).iter("{http://www.w3.org/2000/svg}text")
    ]
    for screen in flow["screens"]:
        assert screen["title"] in texts
        for child in components(screen):
            if child["type"] in INPUT_TYPES:
                assert any(t.startswith(child["label"]) for t in texts), child["label"]
