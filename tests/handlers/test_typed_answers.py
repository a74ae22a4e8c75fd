"""Real-looking typed answers at every step, each with the reading expected of it, in the four
ways people in East Java write: Indonesian as chatted, Javanese (ngoko and krama), Madurese and
basic English (issues 12 and 18).

Each row reaches its step through the real engine and database, sends one answer as people
type it (spelling, slang, abbreviations, capitals with no spaces, emoji, numbers in words), and
checks how it was read: an answer stored in the draft, the step or flow the conversation moved
to, or a phrase of the reply. The share read correctly is printed per way of writing; at least
95% must be read right overall and 90% in each way, and every row of the first (Indonesian)
table, which the bot has read right since issue 12, still must be.

A step is reached once by replaying the answers before it; each row then starts from a copy of
that conversation, as its own person with their own NIK (after the form was sent, each row's
person sends their own).
"""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from handlers.engine import Engine
from handlers.enrol.fields import FORM
from storage.db import Database
from storage.models import Contact, Conversation
from tests.handlers.test_enrol_flow import HAPPY
from tests.support.helpers import VAULT, Chat
from tests.support.typed_answer_checks import (
    PHONE,
    REFUSED,
    YES_CONSENT,
    Check,
    Seen,
    answer,
    both,
    flow,
    no_answer,
    says,
    step,
)
from tests.support.typed_answer_rows import ROWS

# How each step is reached: the answers before it.
REACH: dict[str, list[str]] = {
    "menu": [],
    "consent": ["daftar"],
    "nik": HAPPY[:2],
    "full_name": HAPPY[:3],
    "birth_date": HAPPY[:4],
    "birth_check": [*HAPPY[:4], "8 agustus 1985"],
    "phone": HAPPY[:5],
    "region_confirm": HAPPY[:6],
    "regency": [*HAPPY[:6], "bukan"],
    "address": HAPPY[:7],
    "occupation": HAPPY[:8],
    "income": HAPPY[:9],
    "income_check": [*HAPPY[:9], "sehari 100rb"],
    "programs": HAPPY[:10],
    "period": HAPPY[:11],
    "email": HAPPY[:12],
    "summary": HAPPY,
    "edit_menu": [*HAPPY, "ubah"],
    "announce": [*HAPPY, "kirim"],
    "calc_income": ["iuran"],
    "calc_work": ["iuran", "2jt"],
}


INDONESIAN: list[tuple[str, str, Check]] = [
    # consent
    ("consent", "setuju", YES_CONSENT),
    ("consent", "stuju", YES_CONSENT),
    ("consent", "Setuju!", YES_CONSENT),
    ("consent", "iya dong", YES_CONSENT),
    ("consent", "ya", YES_CONSENT),
    ("consent", "y", YES_CONSENT),
    ("consent", "ok", YES_CONSENT),
    ("consent", "oke kak", YES_CONSENT),
    ("consent", "👍", YES_CONSENT),
    ("consent", "siap", YES_CONSENT),
    ("consent", "boleh", YES_CONSENT),
    ("consent", "iya setuju", YES_CONSENT),
    ("consent", "nggih", YES_CONSENT),
    ("consent", "Yaa", YES_CONSENT),
    ("consent", "tidak setuju", REFUSED),
    ("consent", "gak", REFUSED),
    ("consent", "gk", REFUSED),
    ("consent", "ga mau", REFUSED),
    ("consent", "tidak", REFUSED),
    ("consent", "ndak", REFUSED),
    ("consent", "mboten", REFUSED),
    ("consent", "mau daftar bpjs", both(step("consent"), no_answer("consent"))),
    ("consent", "P", no_answer("consent")),
    # NIK
    ("nik", "3577 0147 0885 0001", answer("nik", "3577014708850001")),
    ("nik", "3577.0147.0885.0001", answer("nik", "3577014708850001")),
    ("nik", "3577-0147-0885-0001", answer("nik", "3577014708850001")),
    ("nik", "NIK saya 3577014708850001", answer("nik", "3577014708850001")),
    ("nik", "3577014708850001 ", answer("nik", "3577014708850001")),
    ("nik", "\u202a3577014708850001\u202c", answer("nik", "3577014708850001")),
    ("nik", "357701470885001", both(step("nik"), says("16 angka"))),
    ("nik", "3577O14708850001", both(step("nik"), says("hanya berisi angka"))),
    # name
    ("full_name", "siti aminah", answer("full_name", "Siti Aminah")),
    ("full_name", "SITI AMINAH", answer("full_name", "Siti Aminah")),
    ("full_name", "siti   aminah", answer("full_name", "Siti Aminah")),
    ("full_name", "nama saya siti aminah", answer("full_name", "Siti Aminah")),
    ("full_name", "Nama: Siti Aminah", answer("full_name", "Siti Aminah")),
    ("full_name", "siti aminah 🙏", answer("full_name", "Siti Aminah")),
    ("full_name", "m. ridwan", answer("full_name", "M. Ridwan")),
    ("full_name", "ma'ruf amin", answer("full_name", "Ma'ruf Amin")),
    ("full_name", "ni made sari", answer("full_name", "Ni Made Sari")),
    # birth date
    ("birth_date", "7 agustus 1985", answer("birth_date", "1985-08-07")),
    ("birth_date", "07-08-1985", answer("birth_date", "1985-08-07")),
    ("birth_date", "7/8/85", answer("birth_date", "1985-08-07")),
    ("birth_date", "07081985", answer("birth_date", "1985-08-07")),
    ("birth_date", "7 agt 85", answer("birth_date", "1985-08-07")),
    ("birth_date", "tgl 7 agustus 1985", answer("birth_date", "1985-08-07")),
    ("birth_date", "lahir 7-8-1985", answer("birth_date", "1985-08-07")),
    ("birth_date", "1985-08-07", answer("birth_date", "1985-08-07")),
    ("birth_date", "7 Agst 1985", answer("birth_date", "1985-08-07")),
    # birth check (the typed date differs from the NIK's)
    ("birth_check", "nik nya yg salah", step("nik")),
    ("birth_check", "tgl lahirnya", step("birth_date")),
    ("birth_check", "7-8-1985", answer("birth_date", "1985-08-07")),
    ("birth_check", "1", step("nik")),
    # phone
    ("phone", "0812-3456-7890", PHONE),
    ("phone", "081234567890", PHONE),
    ("phone", "+62 812 3456 7890", PHONE),
    ("phone", "62812 3456 7890", PHONE),
    ("phone", "0812 3456 7890", PHONE),
    ("phone", "hp 0812-3456-7890", PHONE),
    ("phone", "wa 081234567890", PHONE),
    ("phone", "(0812) 3456-7890", PHONE),
    ("phone", "+6281234567890", PHONE),
    # do you live in Kec. Kartoharjo, Kota Madiun?
    ("region_confirm", "ya", answer("region_confirmed", True)),
    ("region_confirm", "iya dong", answer("region_confirmed", True)),
    ("region_confirm", "benar", answer("region_confirmed", True)),
    ("region_confirm", "betul kak", answer("region_confirmed", True)),
    ("region_confirm", "👍", answer("region_confirmed", True)),
    ("region_confirm", "bukan", answer("region_confirmed", False)),
    ("region_confirm", "gk", answer("region_confirmed", False)),
    ("region_confirm", "salah", answer("region_confirmed", False)),
    ("region_confirm", "sudah pindah", answer("region_confirmed", False)),
    ("region_confirm", "Kabupaten Madiun", answer("regency", "35.19")),
    ("region_confirm", "di surabaya", answer("regency", "35.78")),
    ("region_confirm", "bukan, sy di Sidoarjo", answer("regency", "35.15")),
    ("region_confirm", "sekarang di kota malang", answer("regency", "35.73")),
    ("region_confirm", "sy tinggal di bangkalan", answer("regency", "35.26")),
    ("region_confirm", "mau daftar bpjs", no_answer("region_confirmed")),
    # where then?
    ("regency", "madiun", both(step("regency"), says("beberapa yang namanya mirip"))),
    ("regency", "kota madiun", answer("regency", "35.77")),
    ("regency", "kab madiun", answer("regency", "35.19")),
    ("regency", "kabupaten madiun", answer("regency", "35.19")),
    ("regency", "kodya madiun", answer("regency", "35.77")),
    ("regency", "surabaya", answer("regency", "35.78")),
    ("regency", "bangkalam", answer("regency", "35.26")),
    ("regency", "Kota Probolinggo", answer("regency", "35.74")),
    ("regency", "jember", answer("regency", "35.09")),
    # street address as on the KTP
    (
        "address",
        "Jl. Merpati 12 RT 03/RW 05, Kel. Kanigoro",
        answer("address", "Jl. Merpati 12 RT 03/RW 05, Kel. Kanigoro"),
    ),
    (
        "address",
        "dusun krajan rt 2 rw 1 desa sumberejo",
        answer("address", "dusun krajan rt 2 rw 1 desa sumberejo"),
    ),
    ("address", "jln mawar no 5", answer("address", "jln mawar no 5")),
    ("address", "rt 3", both(step("address"), no_answer("address"))),
    # occupation
    ("occupation", "1", answer("occupation", "pedagang")),
    ("occupation", "pedagang", answer("occupation", "pedagang")),
    ("occupation", "jualan sayur", answer("occupation", "pedagang")),
    ("occupation", "buka warung", answer("occupation", "pedagang")),
    ("occupation", "ojol", answer("occupation", "ojek")),
    ("occupation", "sy ojol", answer("occupation", "ojek")),
    ("occupation", "gojek", answer("occupation", "ojek")),
    ("occupation", "grab", answer("occupation", "ojek")),
    ("occupation", "narik ojek", answer("occupation", "ojek")),
    ("occupation", "sopir angkot", answer("occupation", "sopir")),
    ("occupation", "kurir", answer("occupation", "sopir")),
    ("occupation", "driver", answer("occupation", "sopir")),
    ("occupation", "petani", answer("occupation", "petani")),
    ("occupation", "tani", answer("occupation", "petani")),
    ("occupation", "nelayan", answer("occupation", "nelayan")),
    ("occupation", "melaut", answer("occupation", "nelayan")),
    ("occupation", "usaha kue", answer("occupation", "umkm")),
    ("occupation", "penjahit", answer("occupation", "umkm")),
    ("occupation", "kuli bangunan", answer("occupation", "buruh")),
    ("occupation", "serabutan", answer("occupation", "buruh")),
    ("occupation", "tukang becak", answer("occupation", "becak")),
    ("occupation", "lainnya", answer("occupation", "lainnya")),
    # income
    ("income", "2jt", answer("income", 2_000_000)),
    ("income", "1,5 juta", answer("income", 1_500_000)),
    ("income", "Rp 1.500.000", answer("income", 1_500_000)),
    ("income", "800rb", answer("income", 800_000)),
    ("income", "2 jt an", answer("income", 2_000_000)),
    ("income", "gaji 2jt an per bulan", answer("income", 2_000_000)),
    ("income", "1.5jt", answer("income", 1_500_000)),
    ("income", "1500000", answer("income", 1_500_000)),
    ("income", "1 500 000", answer("income", 1_500_000)),
    ("income", "3jt an lah", answer("income", 3_000_000)),
    ("income", "sehari 100rb", both(answer("income", 2_600_000), step("income_check"))),
    ("income", "100 ribu per hari", both(answer("income", 2_600_000), step("income_check"))),
    ("income", "seminggu 700rb", both(answer("income", 2_800_000), step("income_check"))),
    ("income", "kadang 500rb kadang 1jt", both(answer("income", 500_000), step("income_check"))),
    ("income", "100k/hari", both(answer("income", 2_600_000), step("income_check"))),
    ("income", "tidak tentu", both(step("income"), says("Tidak apa-apa bila tidak tentu"))),
    ("income", "gak nentu mas", both(step("income"), says("Tidak apa-apa bila tidak tentu"))),
    # income check after "sehari 100rb"
    ("income_check", "iya", answer("income_confirmed", True)),
    ("income_check", "👍", answer("income_confirmed", True)),
    ("income_check", "gk", both(no_answer("income"), step("income"))),
    ("income_check", "sebulan 2jt", both(answer("income", 2_000_000), answer("income_confirmed", True))),
    # programs
    ("programs", "1", answer("programs", "basic")),
    ("programs", "2", answer("programs", "with_jht")),
    ("programs", "jkk jkm", answer("programs", "basic")),
    ("programs", "pakai jht", answer("programs", "with_jht")),
    ("programs", "yang ada jht nya", answer("programs", "with_jht")),
    ("programs", "tanpa jht", answer("programs", "basic")),
    ("programs", "gak usah jht", answer("programs", "basic")),
    ("programs", "JKK + JKM + JHT", answer("programs", "with_jht")),
    # payment period: a number is months
    ("period", "3", answer("period", 3)),
    ("period", "1", answer("period", 1)),
    ("period", "12", answer("period", 12)),
    ("period", "6bln", answer("period", 6)),
    ("period", "sebulan", answer("period", 1)),
    ("period", "setahun", answer("period", 12)),
    ("period", "tiga bulan", answer("period", 3)),
    ("period", "3 bulan aja", answer("period", 3)),
    ("period", "12 bulan", answer("period", 12)),
    ("period", "2", both(step("period"), no_answer("period"))),
    # e-mail
    ("email", "lewati", answer("email", None)),
    ("email", "skip", answer("email", None)),
    ("email", "gak ada", answer("email", None)),
    ("email", "-", answer("email", None)),
    ("email", "tidak punya", answer("email", None)),
    ("email", "siti@gmail.com", answer("email", "siti@gmail.com")),
    ("email", "Siti.Aminah@Gmail.com", answer("email", "siti.aminah@gmail.com")),
    ("email", "siti@gmail", both(step("email"), no_answer("email"))),
    # the summary
    ("summary", "kirim", says("Nomor pendaftaran")),
    ("summary", "ya kirim", says("Nomor pendaftaran")),
    ("summary", "sudah benar", says("Nomor pendaftaran")),
    ("summary", "ok", says("Nomor pendaftaran")),
    ("summary", "ubah", step("edit_menu")),
    ("summary", "ada yang salah", step("edit_menu")),
    ("summary", "ubah no hp", step("phone")),
    # what to change
    ("edit_menu", "no hp", step("phone")),
    ("edit_menu", "hp", step("phone")),
    ("edit_menu", "alamat", step("region_confirm")),
    ("edit_menu", "kerjaan", step("occupation")),
    ("edit_menu", "nama", step("full_name")),
    ("edit_menu", "gaji", step("income")),
    ("edit_menu", "email", step("email")),
    ("edit_menu", "tgl lahir", step("birth_date")),
    # after "kirim": the announcement question
    ("announce", "ya", both(flow(None), says("akan menerima pengumuman"))),
    ("announce", "tidak usah", both(flow(None), says("tidak akan mengirim pengumuman"))),
    ("announce", "makasih", says("Sama-sama")),
    ("announce", "status", says("Baru, menunggu petugas")),
    # free text at the menu
    ("menu", "halo", says("Halo")),
    ("menu", "P", says("Halo")),
    ("menu", "assalamualaikum", says("Halo")),
    ("menu", "mau daftar", step("consent")),
    ("menu", "sy mau daftar bpjs", step("consent")),
    ("menu", "brp iurannya", flow("calculator")),
    ("menu", "iuran kalau gaji 2jt", both(flow("calculator"), step("work"))),
    ("menu", "manfaatnya apa", flow("benefits")),
    ("menu", "kalau kecelakaan di jalan gimana", step("jkk")),
    ("menu", "status", says("belum punya pendaftaran")),
    ("menu", "data saya", says("Data Bapak/Ibu yang kami simpan")),
    ("menu", "minta ditelepon", flow("callback")),
    ("menu", "apa bedanya sama bpjs kesehatan", step("kesehatan")),
    ("menu", "bayarnya di mana", step("bayar")),
    ("menu", "makasih", says("Sama-sama")),
    ("menu", "🙏", says("Sama-sama")),
    ("menu", "jadwal sosialisasi", flow("sessions")),
    ("menu", "qwerty", says("belum paham")),
    # the calculator
    ("calc_income", "2jt", step("work")),
    ("calc_income", "sehari 100rb", both(step("work"), says("Rp2.600.000 per bulan"))),
    ("calc_income", "tidak tentu", step("income")),
    ("calc_work", "1", step("result")),
    ("calc_work", "ojek", step("result")),
    ("calc_work", "sy ojol", step("result")),
    ("calc_work", "pedagang", step("result")),
]

TABLE: list[tuple[str, str, str, Check]] = [
    (where, typed, "id", check) for where, typed, check in INDONESIAN
] + ROWS
WAYS = {"id": "Indonesian as chatted", "jv": "Javanese", "mad": "Madurese", "en": "English"}
OVERALL, EACH_WAY = 0.95, 0.90
OWN_SUBMISSION = {"announce"}
"""Steps after the form was sent: each row's person must have sent their own (so "status" shows
it), so these rows replay the whole form instead of copying a template."""


async def _seen(db: Database, chat: Chat, text: str) -> Seen:
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == chat.chat_id))).one()
        conversation = await session.get(Conversation, contact.id)
    assert conversation is not None
    raw = conversation.data.get("draft")
    answers = FORM.draft(raw, VAULT).decrypted() if raw else {}
    return Seen(conversation.flow, conversation.step, answers, text)


async def _reach(db: Database, engine: Engine, where: str) -> tuple[Contact, Conversation] | None:
    """A person at `where`, reached by the answers before it: the template each row copies
    (None at the start: a new person)."""
    if not REACH[where]:
        return None
    chat = Chat(db, engine, chat_id=f"template-{where}")
    own_nik = f"35770147088599{list(REACH).index(where):02d}"  # each template its own person
    for line in REACH[where]:
        await chat.send(own_nik if line == HAPPY[2] else line)
    async with db.reader() as session:
        contact = (await session.exec(select(Contact).where(Contact.chat_id == chat.chat_id))).one()
        conversation = await session.get(Conversation, contact.id)
    assert conversation is not None
    return contact, conversation


async def _person_at(
    db: Database, template: tuple[Contact, Conversation] | None, chat_id: str, nik: str
) -> None:
    """A new person in the template's place, with their own NIK in the draft."""
    if template is None:
        return
    contact, conversation = template
    data = dict(conversation.data)
    if data.get("draft"):
        draft = FORM.draft(data["draft"], VAULT)
        if draft.has("nik"):
            draft.update({"nik": nik})
        data["draft"] = draft.raw
    async with db.transaction() as session:
        copy = Contact(**contact.model_dump(exclude={"id", "chat_id"}), chat_id=chat_id)
        session.add(copy)
        await session.flush()
        assert copy.id is not None
        session.add(
            Conversation(contact_id=copy.id, flow=conversation.flow, step=conversation.step, data=data)
        )


async def test_typed_answers_across_every_step(db: Database, engine: Engine) -> None:
    assert len(TABLE) >= 600
    assert {row[0] for row in TABLE} == set(REACH)  # every step has its rows
    assert {row[2] for row in TABLE} == set(WAYS)
    templates = {where: await _reach(db, engine, where) for where in REACH}
    misread: list[tuple[str, str, str, str]] = []
    for number, (where, typed, way, check) in enumerate(TABLE):
        chat = Chat(db, engine, chat_id=f"62811{number:07d}")
        own_nik = f"357701470885{number + 1:04d}"
        if where in OWN_SUBMISSION:
            for line in REACH[where]:
                await chat.send(own_nik if line == HAPPY[2] else line)
        else:
            await _person_at(db, templates[where], chat.chat_id, nik=own_nik)
        text = "\n".join(r.text for r in await chat.send(typed))
        if not check(await _seen(db, chat, text)):
            misread.append((way, where, typed, text))
    rows, wrong = Counter(row[2] for row in TABLE), Counter(row[0] for row in misread)
    print(f"\ntyped answers read correctly: {len(TABLE) - len(misread)}/{len(TABLE)}")
    for way, name in WAYS.items():
        print(f"  {name}: {rows[way] - wrong[way]}/{rows[way]} = {1 - wrong[way] / rows[way]:.1%}")
    lines = [f"{where} ({way}): {typed!r} -> {text[:80]!r}" for way, where, typed, text in misread]
    print("\n".join(lines))
    first_table = {(where, typed) for where, typed, _ in INDONESIAN}
    regressions = [line for line, row in zip(lines, misread, strict=True) if row[1:3] in first_table]
    assert not regressions, "\n".join(regressions)
    assert 1 - len(misread) / len(TABLE) >= OVERALL
    for way in WAYS:
        assert 1 - wrong[way] / rows[way] >= EACH_WAY, WAYS[way]
