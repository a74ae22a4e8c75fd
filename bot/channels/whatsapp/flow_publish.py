"""`bpu-bot whatsapp flow publish`: the enrolment Flow created, or updated, and published.

Through pywa's Flows API, at `WHATSAPP_API_URL` like every Graph call of the service. The Flow's
name carries a digest of its JSON (`flow_json.flow_name`), so it is idempotent: a Flow of that
name already published is left as it is; a draft of it (an earlier attempt that stopped) gets
the JSON and the endpoint and is published; otherwise it is created and published in one call.
A published Flow cannot change: a changed form is a new Flow, and the service sends the one its
code describes. Older ones stay published, so forms already sent still open.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from pywa_async import WhatsApp
from pywa_async.types.flows import FlowDetails, FlowStatus, FlowValidationError

from bot.channels.whatsapp.flow_json import FLOW_CATEGORIES, flow_name, flow_text
from bot.channels.whatsapp.graph_router import GraphRouter
from bot.settings import Settings


class PublishError(Exception):
    """WhatsApp refused the Flow (its validation errors), or the settings are missing."""


@dataclass(frozen=True)
class Published:
    flow_id: str
    name: str
    changed: bool
    """False: that Flow was already published, and nothing was done."""


def _client(settings: Settings, http: httpx.AsyncClient) -> WhatsApp:
    if not (settings.whatsapp_phone_number_id and settings.whatsapp_access_token):
        raise PublishError("WHATSAPP_PHONE_NUMBER_ID and WHATSAPP_ACCESS_TOKEN must be set")
    if not settings.whatsapp_business_account_id:
        raise PublishError("WHATSAPP_BUSINESS_ACCOUNT_ID must be set (the account the Flow belongs to)")
    return WhatsApp(
        phone_id=settings.whatsapp_phone_number_id,
        token=settings.whatsapp_access_token,
        session=http,
        api_version=settings.whatsapp_api_version.removeprefix("v"),
        waba_id=settings.whatsapp_business_account_id,
    )


def _errors(found: tuple[FlowValidationError, ...]) -> str:
    return "; ".join(f"{e.message} (line {e.line_start})" for e in found)


async def publish(settings: Settings, endpoint_uri: str) -> Published:
    """Publishes the Flow of this code's form, with `endpoint_uri` as its data endpoint."""
    text = flow_text()
    name = flow_name(text)
    router = GraphRouter(
        settings.whatsapp_api_url, settings.whatsapp_api_version, inner=httpx.AsyncHTTPTransport()
    )
    async with httpx.AsyncClient(transport=router, timeout=httpx.Timeout(30.0)) as http:
        wa = _client(settings, http)
        flows: list[FlowDetails] = await (await wa.get_flows(invalidate_preview=False)).all()
        existing = next((f for f in flows if f.name == name and f.status != FlowStatus.DEPRECATED), None)
        if existing is not None and existing.status == FlowStatus.PUBLISHED:
            return Published(existing.id, name, changed=False)
        if existing is not None:
            await wa.update_flow_metadata(existing.id, endpoint_uri=endpoint_uri)
            updated = await wa.update_flow_json(existing.id, text)
            if updated.validation_errors:
                raise PublishError(f"WhatsApp refused the Flow JSON: {_errors(updated.validation_errors)}")
            await wa.publish_flow(existing.id)
            return Published(existing.id, name, changed=True)
        created = await wa.create_flow(
            name=name, categories=FLOW_CATEGORIES, endpoint_uri=endpoint_uri, flow_json=text, publish=True
        )
        if created.validation_errors:
            raise PublishError(f"WhatsApp refused the Flow JSON: {_errors(created.validation_errors)}")
        return Published(created.id, name, changed=True)
