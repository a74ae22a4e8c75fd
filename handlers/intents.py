"""Matches what people type to commands, intents and short answers, in every way of writing.

A message goes through the one normalisation step first (`handlers.normalise`, with the
vocabulary of `handlers.lexicon`): capitals, repeated letters, run-together words, chat
abbreviations, suffixes and typos become the words of the lists. Then a phrase matches when its
words appear in order. People mix languages in one message, so the words of every language are
read together; replies, not recognition, follow the person's language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from handlers.lexicon import PARTICLES_AT_THE_END, Phrases, lexicon
from handlers.normalise import fold
from messages.data import typed_words

RECENT_TEXTS = 64
"""One message is matched against commands, intents, questions and answers in turn, each reading
its words: the words of the last few texts are kept, so each is normalised once (few enough
that what people typed does not linger in memory)."""
COMMAND_MAX_WORDS = 4
"""A command is (almost) the whole message: "saya mau berhenti jualan" is not "stop"."""


def tokens(text: str) -> list[str]:
    """The message as the words of the lists ("SAYAMAUDAFTAR" → saya, mau, daftar)."""
    return list(_tokens(text))


@lru_cache(maxsize=RECENT_TEXTS)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(lexicon().words(text))


def normalize(text: str) -> str:
    """The message's words, joined: what an option's label is compared with."""
    return " ".join(tokens(text))


def plain_words(text: str) -> list[str]:
    """Lower case, accents, punctuation and emoji only: for names of places, which the typo
    step must not bend toward the word lists ("madiun" stays "madiun")."""
    for sign, word in lexicon().normaliser.emoji:
        text = text.replace(sign, f" {word} ")
    return fold(text).split()


@dataclass(frozen=True)
class IntentTable:
    commands: dict[str, Phrases]
    intents: dict[str, Phrases]
    answers: dict[str, Phrases]
    ordinals: dict[int, Phrases]
    filler: frozenset[str]


@cache
def table() -> IntentTable:
    raw = typed_words("intents")
    words = lexicon()
    answer_lists = {k: v for k, v in raw["answers"].items() if k != "filler"}
    return IntentTable(
        commands=words.table(raw["commands"]),
        intents=words.table(raw["intents"]),
        answers=words.table(answer_lists),
        ordinals={int(n): words.phrases(ws) for n, ws in raw.get("ordinals", {}).items()},
        filler=frozenset(w for phrase in raw["answers"].get("filler", []) for w in words.words(phrase)),
    )


def _at(words: list[str] | tuple[str, ...], phrase: tuple[str, ...]) -> int | None:
    """Where `phrase` starts in `words`, or None."""
    n = len(phrase)
    if n and phrase[0] not in words:  # most phrases of a table: one scan in C, no slices
        return None
    for i in range(len(words) - n + 1):
        if tuple(words[i : i + n]) == phrase:
            return i
    return None


_Entry = tuple[int, str, tuple[str, ...]]
"""(place in the table's order, name, phrase)."""


def _by_first_word(phrases_of: dict[str, Phrases]) -> dict[str, tuple[_Entry, ...]]:
    """A table's phrases by their first word, so a message is matched by looking up its own
    words instead of trying every phrase of the table (phrases are never empty)."""
    index: dict[str, list[_Entry]] = {}
    order = 0
    for name, phrases in phrases_of.items():
        for phrase in phrases:
            index.setdefault(phrase[0], []).append((order, name, phrase))
            order += 1
    return {word: tuple(entries) for word, entries in index.items()}


@cache
def _intent_index() -> dict[str, tuple[_Entry, ...]]:
    return _by_first_word(table().intents)


@cache
def _answer_index() -> dict[str, tuple[_Entry, ...]]:
    return _by_first_word(table().answers)


def _found(words: list[str], index: dict[str, tuple[_Entry, ...]]) -> list[_Entry]:
    """Every entry of `index` whose phrase appears in `words`."""
    found: list[_Entry] = []
    for i, word in enumerate(words):
        for entry in index.get(word, ()):
            phrase = entry[2]
            if len(phrase) == 1 or tuple(words[i : i + len(phrase)]) == phrase:
                found.append(entry)
    return found


def _has(words: list[str], phrases: Phrases) -> bool:
    return any(_at(words, phrase) is not None for phrase in phrases)


def phrase_in(text: str, phrase: str) -> bool:
    """Whether the words of `phrase` appear in order in `text`."""
    return _at(tokens(text), tuple(tokens(phrase))) is not None


def match_command(text: str) -> str | None:
    """A global command when the message is (almost) only that command."""
    words = tuple(tokens(text))
    if not words or len(words) > COMMAND_MAX_WORDS:
        return None
    commands = _command_index()
    if words in commands:
        return commands[words]
    rest = tuple(w for w in words if w not in table().filler)
    return commands.get(rest) if rest else None


@cache
def _command_index() -> dict[tuple[str, ...], str]:
    """Each command phrase and its command (the first in the table's order, if two share one):
    every message is looked up once instead of tried against every phrase."""
    index: dict[tuple[str, ...], str] = {}
    for name, phrases in table().commands.items():
        for phrase in phrases:
            index.setdefault(phrase, name)
    return index


DEFERRED = {"enrol": "later", "enrol_other": "later"}
ENROL_OTHER_WEIGHT = 2
"""A verb of registering someone and a relative ("daftarke ... bapakku") weigh as a two-word
phrase: they beat "daftar" alone and tie with a FAQ's two words (and win the tie)."""


@cache
def _enrol_other_parts() -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    parts = typed_words("intents")["enrol_other_parts"]
    relatives = [
        *parts["relatives"],
        *(w for ws in typed_words("form")["relation_words"].values() for w in ws),
    ]
    verbs = frozenset(w for phrase in parts["verbs"] for w in tokens(phrase))
    return verbs, tuple({tuple(tokens(r)) for r in relatives if tokens(r)})


def _asks_for_someone_else(words: list[str]) -> bool:
    """A verb of registering someone, then a relative: "tulung daftarke bapakku", "register my
    father", "mau daftarin keluarga saya"."""
    verbs, relatives = _enrol_other_parts()
    first = next((i for i, w in enumerate(words) if w in verbs), None)
    return first is not None and any(_at(words[first + 1 :], r) is not None for r in relatives)


"""Intents that a word of "later" turns into a plan for later: "sesuk wae tak daftar"."""


def match_intent(text: str) -> str | None:
    """The intent whose longest phrase appears in the text; ties go to table order."""
    words = tokens(text)
    best: tuple[int, str] | None = None
    # The longest phrase found; of equally long ones, the first in the table's order.
    found = _found(words, _intent_index())
    if found:
        _order, name, phrase = min(found, key=lambda entry: (-len(entry[2]), entry[0]))
        best = (len(phrase), name)
    if _asks_for_someone_else(words) and (best is None or best[0] <= ENROL_OTHER_WEIGHT):
        best = (ENROL_OTHER_WEIGHT, "enrol_other")
    if best is None:
        return None
    if best[1] in DEFERRED and _has(words, table().answers.get("later", ())):
        return DEFERRED[best[1]]
    return best[1]


def says_later(text: str) -> bool:
    """Not now: "nanti", "mengko wae", "dagghik", "later", "besok aja daftar"."""
    return not is_question(text) and (
        only_answer(text, ("later",)) is not None or match_intent(text) == "later"
    )


def answers(text: str) -> set[str]:
    """Which short answers a message contains: "tidak setuju" → {"no", "yes", "agree"}."""
    return {name for _order, name, _phrase in _found(tokens(text), _answer_index())}


def only_answer(text: str, among: tuple[str, ...] = ("yes", "no")) -> str | None:
    """The answer (of `among`) when the message is nothing but it ("iya dong", "gk kak", "👍").

    "mau daftar bpjs" contains "mau" but says more than yes, so it is not an answer here.
    """
    said = answers(text) & set(among)
    if len(said) != 1:
        return None
    (answer,) = said
    words = tokens(text)
    own = {w for phrase in table().answers[answer] for w in phrase}
    fits = all(w in own or w in table().filler for w in words)
    return answer if words and fits else None


NEGATIONS = ("no",)
AFFIRMATIONS = ("yes", "agree")


def yes_or_no(text: str) -> str | None:
    """A yes/no question's answer, or None when the message is not one.

    "iya", "nggih", "enggi", "yes", "👍" are yes, and so is a message with "setuju" ("agree") in it;
    "tidak", "mboten", "bunten", "ga mau", "ora setuju" are no. A question ("isih kudu mbayar
    ta?"), "later", or anything else is neither: a yes/no question never reads them as a no.
    """
    if is_question(text):
        return None
    said = answers(text)
    if "later" in said and not said & {"yes", "agree"}:
        return None
    negated = bool(said & set(NEGATIONS))
    if negated:
        no = only_answer(text, ("no",)) or _negated_yes(text)
        return "no" if no else None
    if only_answer(text, ("yes",)) or "agree" in said:  # "bapak wis moco, setuju"
        return "yes"
    words = tokens(text)
    own = {w for name in AFFIRMATIONS for phrase in table().answers.get(name, ()) for w in phrase}
    return "yes" if words and all(w in own or w in table().filler for w in words) else None


def _negated_yes(text: str) -> bool:
    """A no word, then yes words ("ga mau", "ora setuju", "mboten purun"): nothing else."""
    words = [w for w in tokens(text) if w not in table().filler]
    negation = {w for phrase in table().answers["no"] for w in phrase}
    affirmative = {w for name in AFFIRMATIONS for phrase in table().answers.get(name, ()) for w in phrase}
    return (
        bool(words)
        and words[0] in negation
        and all(w in affirmative or w in negation or w in table().filler for w in words)
    )


def is_question(text: str) -> bool:
    """A question, in any way of writing: a question mark after two words or more ("Madiun?"
    alone is an unsure answer), a question word ("berapa", "piro", "pinten", "how much"), or a
    question particle at the end ("gratis ta", "wis to")."""
    return ("?" in text and len(tokens(text)) > 1) or has_question_word(text)


@cache
def _question_index() -> dict[str, tuple[_Entry, ...]]:
    return _by_first_word({"question": table().answers.get("question", ())})


def has_question_word(text: str) -> bool:
    """A question word or a closing question particle, whatever the punctuation. A particle
    ("ta", "to") counts only as the last of two words or more, and only where it appears once."""
    words = tokens(text)
    last = len(words) - 1
    for i, word in enumerate(words):
        for _order, _name, phrase in _question_index().get(word, ()):
            if len(phrase) == 1 and word in PARTICLES_AT_THE_END:
                if i == last > 0 and words.index(word) == i:
                    return True
            elif tuple(words[i : i + len(phrase)]) == phrase:
                return True
    return False


def ordinal(text: str) -> int | None:
    """Which option a person names by its place: "yang pertama", "sing kapisan", "the second"."""
    words = tokens(text)
    found = {n for n, phrases in table().ordinals.items() if _has(words, phrases)}
    return found.pop() if len(found) == 1 else None


def language_of(text: str) -> str | None:
    """The way of writing a message shows (see `Lexicon.language_of`)."""
    return lexicon().language_of(tokens(text))


@cache
def _place_filler() -> frozenset[str]:
    return frozenset(w for phrase in typed_words("intents")["places"]["filler"] for w in fold(phrase).split())


KINDS = ("kabupaten", "kota")
"""How a regency or city is named before its name ("kota madiun"); "Madiun city" and
"KOTAMADIUN" are read that way too."""


def place_words(text: str) -> str:
    """What is left of an answer once yes/no, fillers and "di", "tinggal"... are taken out.

    "bukan, sy di Sidoarjo" → "sidoarjo"; "iya" → ""; "ora, saiki nang Suroboyo" → "surabaya";
    "Madiun city" → "kota madiun"; "KOTAMADIUN" → "kota madiun"; "udh pindah ke sby" → "surabaya".
    """
    vocabulary = {w for phrases in table().answers.values() for phrase in phrases for w in phrase}
    skip = (vocabulary | table().filler | _place_filler()) - set(KINDS)
    aliases: dict[str, str] = typed_words("intents")["places"].get("aliases", {})
    kept: list[str] = []
    abbreviations = lexicon().normaliser.abbreviations
    for word in plain_words(text):
        if word in skip or (word in abbreviations and set(abbreviations[word]) <= skip):
            continue
        word = aliases.get(word, word)
        run_together = next((k for k in KINDS if word.startswith(k) and len(word) > len(k) + 2), None)
        kept.extend((run_together, word.removeprefix(run_together)) if run_together else (word,))
    kinds = [w for w in kept if w in KINDS]
    return " ".join([*kinds[:1], *(w for w in kept if w not in KINDS)])


@cache
def _month_phrases() -> tuple[tuple[tuple[str, ...], int], ...]:
    raw: dict[str, int] = typed_words("intents")["months"]
    read = {tuple(tokens(p)): int(n) for p, n in raw.items()}
    return tuple(sorted(read.items(), key=lambda item: -len(item[0])))


@cache
def _month_digits() -> re.Pattern[str]:
    """A number of months written with digits, maybe with a unit (intents.toml [month_units])."""
    units = "|".join(
        re.escape(w) for w in sorted(typed_words("intents")["month_units"]["words"], key=len, reverse=True)
    )
    return re.compile(rf"(?<!\d)(\d{{1,2}})\s*(?:{units})?(?![\d])")


def months_in(text: str) -> int | None:
    """A number of months as people write it: "3", "6bln", "sebulan", "telung wulan", "yearly"."""
    words = tokens(text)
    for phrase, months in _month_phrases():
        if phrase and _at(words, phrase) is not None:
            return months
    found = {int(m) for m in _month_digits().findall(" ".join(plain_words(text)))}
    return found.pop() if len(found) == 1 else None


@cache
def number_words() -> frozenset[str]:
    """Words before an option's number: "no 8", "nomer 3", "pilih 2" (intents.toml [choice])."""
    return frozenset(w for phrase in typed_words("intents")["choice"]["number_words"] for w in tokens(phrase))


def filler_words() -> frozenset[str]:
    """Words around a short answer that do not change it ("dong", "mas", "please")."""
    return table().filler


def join_words() -> Phrases:
    """How people say they will come to a session: "ikut", "melu", "norok", "join"."""
    return table().intents.get("session_join", ())
