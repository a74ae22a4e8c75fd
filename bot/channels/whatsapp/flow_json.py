"""The enrolment form as a WhatsApp Flow: its Flow JSON, built from the form's screens.

Each screen of `handlers/enrol/screens.py` becomes a Flow screen whose inputs are named by the
field keys of the declaration; every text comes from messages/ (Indonesian). The Flow talks to
the data endpoint (`flow_endpoint.py`, data API 3.0): every screen's footer sends its values
(`data_exchange`), and the endpoint answers with the next screen, or the same one with an error
under the input that is wrong, read by the chat's own steps. What changes per person (what the
draft holds, the lists to choose from, today's amounts, errors, notes) arrives as screen data:

- `v_<key>`: the input's value; `e_<key>`: its error (text inputs and dates show it under them);
- `o_<key>`: a list's options; `notice` (shown when `has_notice`): errors of lists, and notes;
- `summary`: the review screen's lines, as the chat's summary has them.

The Flow is published under a name that carries a digest of its JSON (`flow_name`), so the
service sends the Flow its own code describes, and publishing again is a no-op.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pywa.types.flows import (
    DataExchangeAction,
    DataSource,
    DatePicker,
    Dropdown,
    FlowJSON,
    Footer,
    InputType,
    Layout,
    OptIn,
    RadioButtonsGroup,
    Screen,
    ScreenData,
    TextArea,
    TextBody,
    TextInput,
)
from pywa.types.flows import Screen as FlowScreen

from handlers.enrol.fields import FORM
from handlers.enrol.form import Form
from handlers.enrol.screens import Input, build_screens, describe, title
from handlers.enrol.screens import Screen as FormScreen
from messages.data import DEFAULT_LANGUAGE, data
from messages.form_labels import form_labels
from messages.render import render

FLOW_JSON_VERSION = "7.3"
"""The current Flow JSON version (WhatsApp Flows changelog)."""
DATA_API_VERSION = "3.0"
FLOW_NAME = "bpu_pendaftaran"
FLOW_CATEGORIES = ("SIGN_UP",)
TEXT_KINDS = {"text": InputType.TEXT, "phone": InputType.PHONE, "email": InputType.EMAIL}
EXAMPLES: dict[str, Any] = {"consent": False, "date": "1990-05-15"}
ERROR_KINDS = frozenset({"text", "phone", "email", "longtext", "date"})
"""Inputs that show an error of their own under them (a Flow's list or choice cannot)."""


def screen_id(screen: FormScreen) -> str:
    """A Flow screen id: "identity" -> "IDENTITY" (letters and underscores; "SUCCESS" is WhatsApp's)."""
    return screen.id.upper()


def _data_keys(screen: FormScreen) -> list[ScreenData[Any]]:
    keys: list[ScreenData[Any]] = [
        ScreenData(key="notice", example="Catatan"),
        ScreenData(key="has_notice", example=False),
    ]
    for item in screen.inputs:
        keys.append(ScreenData(key=f"v_{item.key}", example=EXAMPLES.get(item.kind, "teks")))
        if item.kind in ERROR_KINDS:
            keys.append(ScreenData(key=f"e_{item.key}", example=""))
        if item.kind in ("choice", "radio"):
            keys.append(ScreenData(key=f"o_{item.key}", example=[DataSource(id="1", title="Pilihan")]))
    if screen.review:
        keys.append(ScreenData(key="summary", example="Nama: Siti"))
    return keys


def _component(item: Input, form: Form, lang: str) -> Any:
    described = describe(item, form, lang)
    text, helper = described.label, described.help
    common: dict[str, Any] = {"name": item.key, "label": text, "required": described.required}
    value, error, choices = f"${{data.v_{item.key}}}", f"${{data.e_{item.key}}}", f"${{data.o_{item.key}}}"
    if item.kind == "consent":
        return OptIn(name=item.key, label=text, required=True, init_value=f"${{data.v_{item.key}}}")  # type: ignore[arg-type]
    if item.kind == "date":
        return DatePicker(**common, helper_text=helper or None, init_value=value, error_message=error)
    if item.kind == "longtext":
        return TextArea(**common, helper_text=helper or None, init_value=value, error_message=error)
    if item.kind == "choice":
        return Dropdown(**common, data_source=choices, init_value=value)  # type: ignore[arg-type]
    if item.kind == "radio":
        return RadioButtonsGroup(**common, data_source=choices, init_value=value)  # type: ignore[arg-type]
    return TextInput(
        **common,
        input_type=TEXT_KINDS.get(item.kind, InputType.TEXT),
        helper_text=helper or None,
        init_value=value,
        error_message=error,
    )


def _screen(screen: FormScreen, form: Form, lang: str, last: bool) -> FlowScreen:
    words = form_labels(lang)["native"]
    children: list[Any] = []
    if screen.id == "consent":
        retention = data("consent")["retention_years"]
        children.append(TextBody(text=render("enrol_ask_consent", lang, retention_years=retention)))
    if screen.review:
        children += [TextBody(text=words["review_intro"]), TextBody(text="${data.summary}")]
    children.append(TextBody(text="${data.notice}", visible="${data.has_notice}"))  # type: ignore[arg-type]
    children += [_component(item, form, lang) for item in screen.inputs]
    payload = {item.key: f"${{form.{item.key}}}" for item in screen.inputs}
    button = words["send"] if screen.review else words["next"]
    children.append(Footer(label=button, on_click_action=DataExchangeAction(payload=payload)))  # type: ignore[arg-type]
    return Screen(
        id=screen_id(screen),
        title=title(screen, lang),
        data=_data_keys(screen),
        terminal=True if last else None,
        layout=Layout(children=children),
    )


def flow_json(form: Form = FORM, lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """The Flow JSON of `form`'s screens, as a dict (what `bpu-bot whatsapp flow-json` prints)."""
    screens = build_screens(form)
    ids = [screen_id(s) for s in screens]
    flow = FlowJSON(
        version=FLOW_JSON_VERSION,
        data_api_version=DATA_API_VERSION,
        routing_model={here: ids[i + 1 : i + 2] for i, here in enumerate(ids)},
        screens=[_screen(s, form, lang, s is screens[-1]) for s in screens],
    )
    parsed: dict[str, Any] = json.loads(flow.to_json())
    return parsed


def flow_text(form: Form = FORM, lang: str = DEFAULT_LANGUAGE) -> str:
    """The Flow JSON as uploaded: indented, keys in a fixed order."""
    return json.dumps(flow_json(form, lang), ensure_ascii=False, indent=2)


def flow_name(text: str) -> str:
    """The Flow's published name: "bpu_pendaftaran_<first 10 hex digits of the JSON's SHA-256>"."""
    return f"{FLOW_NAME}_{hashlib.sha256(text.encode()).hexdigest()[:10]}"
