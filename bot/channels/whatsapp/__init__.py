"""The WhatsApp channel (Cloud API, through pywa).

- `inbound.py`: a webhook body as the engine's `Inbound`s and the status updates of sent messages;
- `webhook.py`: receiving: the handshake, the signature, the statuses applied to the outbox;
- `render.py`: an outbox payload as Cloud API messages, within the platform's limits;
- `templates.py`: the 24-hour window, and the templates that carry messages outside it;
- `transport.py`: outbox rows sent with pywa, and the Cloud API's errors as outcomes;
- `identity.py`: the business number, for session links;
- `graph_router.py`, `aiohttp_transport.py`: around pywa and httpx, where its requests go and
  how they travel.

Importing this package loads pywa and httpx: the registry imports it only when WhatsApp is enabled.
"""

from bot.channels.base import ChannelType
from bot.channels.whatsapp.identity import display_number
from bot.channels.whatsapp.inbound import CHANNEL
from bot.channels.whatsapp.transport import whatsapp_limits
from bot.channels.whatsapp.webhook import build_channel

CHANNEL_TYPE = ChannelType(CHANNEL, whatsapp_limits, build_channel, identity=display_number)
