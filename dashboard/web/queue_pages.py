"""The queue page (`/staff`): what needs action first (open statuses, oldest promise first),
tabs per status counted under the filters, filters (an officer's work among them), sorting,
numbered pages with previous/next and the total, the selection's bulk actions (see
`bulk_pages`), the newest callback requests; and its CSV/XLSX download of the filtered queue."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from dashboard.service.errors import InvalidInput
from dashboard.service.export.formats import FORMATS
from dashboard.service.queue import OPEN_VIEW, PAGE_SIZE, QueueFilters, sort_of, view_total
from dashboard.service.team import TeamOffice
from dashboard.service.texts import flag_label
from dashboard.service.workflow import FINAL
from dashboard.web import filters as queue_filters
from dashboard.web.context import StaffPages
from dashboard.web.filters import SORT_PARAMS
from dashboard.web.labels import STATUS_LABELS
from handlers.localtime import WIB
from messages.program_data import occupations
from storage.submissions import ALL_STATUSES

PAGE_FORMATS = ("csv", "xlsx")
"""What the page offers to download: files people open (JSON is the API's and the CLI's)."""


def add_queue_routes(router: APIRouter, pages: StaffPages) -> None:
    async def queue(request: Request) -> Response:
        staff = await pages.user(request)
        if not staff.works_the_queue:
            return RedirectResponse("/staff/reports", status_code=303)
        params = dict(request.query_params)
        parsed = queue_filters.parse(params)
        filters = parsed.filters
        number = int(params["halaman"]) if params.get("halaman", "").isdigit() else 1
        number = max(1, min(number, 100_000))
        flashes = [{"kind": "warn", "text": text} for text in parsed.problems]
        if filters.status and filters.status not in (*ALL_STATUSES, OPEN_VIEW):
            unknown = "Status yang dipilih tidak dikenal; semua status ditampilkan."
            flashes.append({"kind": "warn", "text": unknown})
            filters = replace(filters, status=None)
        page = await pages.backoffice.queue(staff.account, filters, offset=(number - 1) * PAGE_SIZE)
        callbacks = await pages.backoffice.callbacks(staff.account)
        team = TeamOffice(pages.backoffice.db, pages.backoffice.clock)
        regencies = queue_filters.regencies_of(staff.branch_for(filters.branch))
        options = {
            "branches": queue_filters.branch_options(),
            "regencies": regencies,
            "districts": queue_filters.districts_of(regencies),
            "occupations": queue_filters.occupation_options(),
            "channels": queue_filters.channel_options(pages.channels),
            "flags": queue_filters.flag_options(),
            "assigned": queue_filters.ASSIGNED,
            "officers": [(name, name) for name in await team.officer_names(staff.account, filters.branch)],
            "sorts": [(param, queue_filters.SORT_LABELS[code]) for param, code in SORT_PARAMS.items()],
        }
        qs = queue_filters.query_string
        sort = sort_of(filters)
        sort_param = {code: param for param, code in SORT_PARAMS.items()}[sort]
        last = max(1, -(-page.total // PAGE_SIZE))
        return pages.page(
            request,
            "queue.html",
            title="Antrean",
            staff=staff,
            nav="queue",
            flashes=flashes,
            filters=filters,
            page=page,
            callbacks=callbacks,
            number=number,
            last_page=last,
            first_row=(number - 1) * PAGE_SIZE + 1,
            all_count=sum(page.counts.values()),
            open_count=view_total(page.counts, OPEN_VIEW),
            statuses=list(STATUS_LABELS.items()),
            final_statuses=FINAL,
            open_view=OPEN_VIEW,
            tab_links={
                OPEN_VIEW: qs(filters, status=None),
                "": qs(filters, status=queue_filters.ALL_STATUSES_VIEW),
                **{c: qs(filters, status=c) for c in ALL_STATUSES},
            },
            sort=sort,
            sort_param=sort_param,
            sort_links={param: qs(filters, urut=param) for param in SORT_PARAMS},
            previous_page_query=qs(filters, halaman=str(number - 1)) if number > 1 else None,
            next_page_query=qs(filters, halaman=str(number + 1)) if page.has_more else None,
            clear_query=qs(QueueFilters(status=filters.status, branch=filters.branch, sort=filters.sort)),
            export_query=qs(filters),
            return_to="/staff" + (f"?{request.url.query}" if request.url.query else ""),
            show_more=queue_filters.active(filters) and not (filters.search and len(params) <= 2),
            options=options,
            flag_labels={code: flag_label(code) for code in queue_filters.FILTER_FLAGS},
            occupation_labels={o.code: o.label for o in occupations()},
        )

    async def export(request: Request) -> Response:
        staff = await pages.user(request)
        fmt = request.query_params.get("format", "csv")
        if fmt not in PAGE_FORMATS:
            raise InvalidInput("format", "Format unduhan harus CSV atau XLSX.")
        filters = queue_filters.parse(dict(request.query_params)).filters
        body = await pages.backoffice.export(staff.account, filters, fmt)
        scope = re.sub(r"[^A-Za-z0-9_-]", "", staff.branch_for(filters.branch) or "") or "semua"
        stamp = datetime.now(WIB).strftime("%Y%m%d-%H%M")
        filename = f"antrean-{scope}-{stamp}.{fmt}"
        return Response(
            body,
            media_type=FORMATS[fmt].media_type,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    router.add_api_route("", queue, methods=["GET"])
    router.add_api_route("/export", export, methods=["GET"])
