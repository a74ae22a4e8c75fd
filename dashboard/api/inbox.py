"""The API's agent inbox: a worker's conversation, writing in it, handing it back to the bot,
and the inbox (the twin of /staff/inbox). Another branch's reference answers 404, like an
unknown one."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from dashboard.api.common import PREFIX, Caller, service_call
from dashboard.service.inbox import AgentInbox, Inbox

MESSAGE_STATUS_HELP = (
    '"queued": on its way to the worker\'s chat. "awaiting_reply": the channel\'s window had '
    "closed (WhatsApp, 24 hours after the worker's last message); an invitation to reply went "
    "in the approved template, and the message follows when the worker answers."
)


class ChatItem(BaseModel):
    direction: Literal["in", "out"]
    text: str = Field(description="NIK and phone numbers masked.")
    at: datetime
    by: str | None = Field(description="The officer who wrote it; null for the worker and the bot.")


class ConversationOut(BaseModel):
    items: list[ChatItem]
    held_by: str | None = Field(description="The officer holding the chat (the bot is silent there).")


class MessageIn(BaseModel):
    text: str = Field(min_length=1, max_length=1000)


class MessageOut(BaseModel):
    id: int
    status: Literal["queued", "awaiting_reply"] = Field(description=MESSAGE_STATUS_HELP)


class ClosedOut(BaseModel):
    closed: bool = Field(description="False when no officer held the chat.")


def inbox_router(inbox: AgentInbox) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["agent inbox"])
    run = service_call

    @router.get(
        "/submissions/{reference}/conversation",
        response_model=ConversationOut,
        summary="The worker's chat with the bot and officers (audited)",
    )
    async def conversation(access: Caller, reference: str) -> ConversationOut:
        seen = await run(inbox.conversation(access, reference))
        items = [ChatItem(direction=i.direction, text=i.text, at=i.at, by=i.by) for i in seen.items]
        return ConversationOut(items=items, held_by=seen.held_by)

    @router.post(
        "/submissions/{reference}/messages",
        response_model=MessageOut,
        status_code=202,
        summary="Write in the worker's chat; the bot steps aside there until closed",
    )
    async def send(access: Caller, reference: str, body: MessageIn) -> MessageOut:
        sent = await run(inbox.send(access, reference, body.text))
        return MessageOut(id=sent.id, status=sent.status)

    @router.post(
        "/submissions/{reference}/conversation/close",
        response_model=ClosedOut,
        summary="Hand the chat back to the bot (the worker is told)",
    )
    async def close(access: Caller, reference: str) -> ClosedOut:
        return ClosedOut(closed=await run(inbox.close(access, reference)))

    @router.get("/inbox", response_model=Inbox, summary="Chats officers hold, waiting ones first")
    async def listing(access: Caller, officer: str | None = None) -> Inbox:
        found: Inbox = await run(inbox.inbox(access, officer))
        return found

    return router
