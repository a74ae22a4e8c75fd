"""Broadcasts: compose for an audience, count and preview, send now or at a time, pause, resume,
cancel, and the progress.

Sending is one outbox row per recipient at broadcast priority, so replies and notifications go
first and the sender's rate limits hold. Only contacts who opted in to announcements (and did not
say `stop` since), are reachable, and are on a channel that receives broadcasts ever become
recipients; every text ends with how to stop.

The parts, each with one reason to change:
- `audience`: who a broadcast reaches and how many they are;
- `text`: what recipients read, the previews, and "kirim uji";
- `outbox`: storing a broadcast and writing its outbox rows in resumable chunks;
- `schedule`: start when due, pause, resume, cancel, quiet hours, done (the scheduler's `tick`);
- `progress`: the counts a broadcast's page and the API show.
"""

from dashboard.service.broadcasts.audience import STAGES, Audience, count_recipients
from dashboard.service.broadcasts.outbox import create_broadcast
from dashboard.service.broadcasts.progress import Progress, get_broadcast, list_broadcasts, progress
from dashboard.service.broadcasts.schedule import cancel, pause, resume, tick
from dashboard.service.broadcasts.text import TEMPLATE, broadcast_payload, previews, send_test

__all__ = [
    "STAGES",
    "TEMPLATE",
    "Audience",
    "Progress",
    "broadcast_payload",
    "cancel",
    "count_recipients",
    "create_broadcast",
    "get_broadcast",
    "list_broadcasts",
    "pause",
    "previews",
    "progress",
    "resume",
    "send_test",
    "tick",
]
