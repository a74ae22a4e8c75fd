"""The baseline for `bench.compare`: the enrolment form as a plain aiogram 3 FSM bot.

    .venv/bin/python -m bench.baseline_bot aiohttp|fastapi PORT API_URL SECRET

Written the way aiogram's own examples write a form bot (`examples/finite_state_machine.py`,
`examples/echo_bot_webhook.py`): a `StatesGroup`, one handler per state, `MemoryStorage`,
`message.answer(...)` for the reply, light validation, and the webhook served either by
aiogram's `SimpleRequestHandler` on aiohttp or by a FastAPI endpoint that feeds the update to
the dispatcher. Its state lives in memory only: a restart forgets every conversation, and a
reply that fails to send is lost. The 13 messages it takes are the same as the real form's
(`bench.enrolment.ENROLMENT`).

Like aiogram's default (`handle_in_background=False`), the webhook answers after the
handler has run, which includes the `sendMessage` call: a 200 means the reply was handed to
the Bot API, as the real bot's 200 means the reply was committed to its outbox.
"""

import re
import sys

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

TOKEN = "42:bench-baseline-token"
WEBHOOK_PATH = "/webhook/telegram"

form_router = Router()


class Form(StatesGroup):
    consent = State()
    nik = State()
    name = State()
    birth_date = State()
    phone = State()
    region = State()
    address = State()
    occupation = State()
    income = State()
    programs = State()
    period = State()
    email = State()
    summary = State()


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=label)] for label in labels]
    )


@form_router.message(F.text.lower() == "daftar")
async def start(message: Message, state: FSMContext) -> None:
    await state.set_state(Form.consent)
    await message.answer(
        "Sebelum mendaftar, Bapak/Ibu perlu menyetujui penggunaan data. Setuju?",
        reply_markup=keyboard("Setuju", "Tidak"),
    )


@form_router.message(Form.consent)
async def consent(message: Message, state: FSMContext) -> None:
    if (message.text or "").lower() not in ("setuju", "ya"):
        await state.clear()
        await message.answer("Baik, pendaftaran dibatalkan.")
        return
    await state.update_data(consent=True)
    await state.set_state(Form.nik)
    await message.answer("Pertanyaan 1 dari 11. Ketik NIK (16 angka) di KTP Bapak/Ibu.")


@form_router.message(Form.nik)
async def nik(message: Message, state: FSMContext) -> None:
    digits = re.sub(r"\D", "", message.text or "")
    if len(digits) != 16:
        await message.answer("NIK harus 16 angka. Silakan ketik lagi.")
        return
    await state.update_data(nik=digits)
    await state.set_state(Form.name)
    await message.answer("Pertanyaan 2 dari 11. Nama lengkap sesuai KTP?")


@form_router.message(Form.name)
async def name(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if len(text) < 3:
        await message.answer("Nama terlalu pendek. Silakan ketik lagi.")
        return
    await state.update_data(name=text.title())
    await state.set_state(Form.birth_date)
    await message.answer("Pertanyaan 3 dari 11. Tanggal lahir? (contoh: 17 Agustus 1985)")


@form_router.message(Form.birth_date)
async def birth_date(message: Message, state: FSMContext) -> None:
    if not re.search(r"\d{4}", message.text or ""):
        await message.answer("Tanggal lahir belum terbaca. Contoh: 17 Agustus 1985.")
        return
    await state.update_data(birth_date=message.text)
    await state.set_state(Form.phone)
    await message.answer("Pertanyaan 4 dari 11. Nomor HP yang bisa dihubungi?")


@form_router.message(Form.phone)
async def phone(message: Message, state: FSMContext) -> None:
    digits = re.sub(r"\D", "", message.text or "")
    if not 9 <= len(digits) <= 14:
        await message.answer("Nomor HP belum benar. Contoh: 0812-3456-7890.")
        return
    await state.update_data(phone=digits)
    await state.set_state(Form.region)
    await message.answer(
        "Pertanyaan 5 dari 11. Apakah Bapak/Ibu tinggal di Kota Madiun?", reply_markup=keyboard("Ya", "Bukan")
    )


@form_router.message(Form.region)
async def region(message: Message, state: FSMContext) -> None:
    await state.update_data(region_confirmed=(message.text or "").lower() == "ya")
    await state.set_state(Form.address)
    await message.answer("Pertanyaan 6 dari 11. Alamat rumah (jalan, RT/RW)?")


@form_router.message(Form.address)
async def address(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if len(text) < 5:
        await message.answer("Alamat terlalu pendek. Silakan ketik lagi.")
        return
    await state.update_data(address=text)
    await state.set_state(Form.occupation)
    await message.answer(
        "Pertanyaan 7 dari 11. Pekerjaan Bapak/Ibu?",
        reply_markup=keyboard("Pedagang", "Ojek", "Petani", "Nelayan", "Lainnya"),
    )


@form_router.message(Form.occupation)
async def occupation(message: Message, state: FSMContext) -> None:
    await state.update_data(occupation=message.text)
    await state.set_state(Form.income)
    await message.answer("Pertanyaan 8 dari 11. Penghasilan sebulan? (contoh: 2 juta)")


@form_router.message(Form.income)
async def income(message: Message, state: FSMContext) -> None:
    text = (message.text or "").lower().replace(",", ".")
    number = re.search(r"\d+(\.\d+)?", text)
    if number is None:
        await message.answer("Penghasilan belum terbaca. Contoh: 2 juta.")
        return
    value = float(number.group()) * (1_000_000 if "juta" in text or "jt" in text else 1)
    await state.update_data(income=int(value))
    await state.set_state(Form.programs)
    await message.answer(
        "Pertanyaan 9 dari 11. Program: 1) JKK + JKM, 2) JKK + JKM + JHT?",
        reply_markup=keyboard("JKK + JKM", "JKK + JKM + JHT"),
    )


@form_router.message(Form.programs)
async def programs(message: Message, state: FSMContext) -> None:
    await state.update_data(programs=message.text)
    await state.set_state(Form.period)
    await message.answer(
        "Pertanyaan 10 dari 11. Bayar tiap: 1, 3, 6 atau 12 bulan?",
        reply_markup=keyboard("1", "3", "6", "12"),
    )


@form_router.message(Form.period)
async def period(message: Message, state: FSMContext) -> None:
    await state.update_data(period=message.text)
    await state.set_state(Form.email)
    await message.answer("Pertanyaan 11 dari 11. Alamat e-mail? Ketik 'lewati' bila tidak ada.")


@form_router.message(Form.email)
async def email(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if text.lower() != "lewati" and "@" not in text:
        await message.answer("Alamat e-mail belum benar, atau ketik 'lewati'.")
        return
    data = await state.update_data(email=None if text.lower() == "lewati" else text)
    await state.set_state(Form.summary)
    lines = "\n".join(f"{key}: {value}" for key, value in data.items() if key != "nik")
    await message.answer(f"Periksa data Bapak/Ibu:\n{lines}", reply_markup=keyboard("Kirim", "Ubah", "Batal"))


@form_router.message()
async def fallback(message: Message) -> None:
    await message.answer("Ketik 'daftar' untuk mendaftar.")


def make_bot(api_url: str) -> Bot:
    return Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))


def make_dispatcher() -> Dispatcher:
    dp = Dispatcher(storage=MemoryStorage())
    dp.include_router(form_router)
    return dp


def serve_aiohttp(port: int, api_url: str, secret: str) -> None:
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    bot, dp = make_bot(api_url), make_dispatcher()
    app = web.Application()
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=WEBHOOK_PATH)
    setup_application(app, dp, bot=bot)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def serve_fastapi(port: int, api_url: str, secret: str) -> None:
    import uvicorn
    from fastapi import FastAPI, Header, Request, Response

    bot, dp = make_bot(api_url), make_dispatcher()
    app = FastAPI()

    @app.post(WEBHOOK_PATH)
    async def webhook(
        request: Request, x_telegram_bot_api_secret_token: str | None = Header(default=None)
    ) -> Response:
        if x_telegram_bot_api_secret_token != secret:
            return Response(status_code=401)
        update = Update.model_validate(await request.json(), context={"bot": bot})
        await dp.feed_update(bot, update)
        return Response(status_code=200)

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    kind, port, api_url, secret = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    {"aiohttp": serve_aiohttp, "fastapi": serve_fastapi}[kind](port, api_url, secret)


if __name__ == "__main__":
    main()
