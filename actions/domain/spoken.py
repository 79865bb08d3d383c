"""Words made for the ear: the assistant's written replies as a text-to-speech voice should read them.

The replies are written for a screen and a keyboard ("Reply YES to confirm or NO to cancel",
"$1,250.50", "Thu 3 Dec", "Visa ending 4242"). Read aloud as written they are wrong or hard to
follow: a caller has no keyboard, "$1,250.50" may come out as "dollar one comma...", and "4242"
as "four thousand two hundred forty-two" when the caller needs to check four digits.

``for_the_ear`` rewrites them with plain rules keyed to the wording the assistant really uses
(``actions.domain.signoff``, ``actions.domain.identify``, ``actions.domain.answers``,
``actions.domain.account.day``, ``actions.acme.formatting.format_day``, ``money.format_cents``):
the tests feed it those functions' own output, so a prompt reworded without its spoken form fails
a test instead of reaching a caller as "reply yes".
"""

from __future__ import annotations

import re
from datetime import date
from typing import Match, Optional

from actions.domain.voice_calls import CODE, YES_NO

#: Said after a reply when the conversation waits for an answer the reply does not explain how to give.
KEYPAD_YES_NO = "Say yes or press 1; say no or press 2."
KEYPAD_CODE = "Enter the code on your keypad, or say it digit by digit."

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_DAY_OF = {name[:3].lower(): name for name in _DAYS}
_MONTH_OF = {name[:3].lower(): name for name in _MONTHS}
_DAY_NAME = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:day|sday|nesday|rsday|urday)?"
_MONTH_NAME = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
               r"|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
#: Currencies by the sign written before the amount. The assistant writes dollars only (``format_cents``).
_CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "US$": ("dollar", "dollars", "cent", "cents"),
               "€": ("euro", "euros", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence")}
_BRANDS = r"(?:Visa|Mastercard|MasterCard|Amex|American Express|Discover|[Cc]ard)"

# -- what a voice must not read --------------------------------------------------------------------
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"]+?(?=[.,;:!?)]*(?:\s|$))", re.IGNORECASE)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_MD_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])|(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_MD_CODE = re.compile(r"`+([^`]*)`+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*", re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*•·‣▪●]|\d{1,2}[.)])\s+", re.MULTILINE)
_EMOJI = re.compile("[\U0001F000-\U0001FAFF\U0001F1E6-\U0001F1FF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D\u20E3]")
_MASK = re.compile(rf"(?:\b(?P<brand>{_BRANDS})\s+)?[•*·●∙xX]{{2,}}\s?(?P<last4>\d{{4}})\b")
_DOTS = re.compile(r"[•·●∙]+")

# -- keyboard prompts, as the assistant writes them -----------------------------------------------
_YES_OR_NO = re.compile(r"\b[Rr]eply YES to (?P<yes>[^,.;]+?),? or NO to (?P<no>[^.;!?]+)")
_WITH_CODE = re.compile(r"\b(?P<r>[Rr])eply with the (?P<what>(?:6-digit )?code(?: we sent to your phone ending \d{4})?)")
_RESEND_IN_LIST = re.compile(r"(?<=, )RESEND\b")
_OR_NO = re.compile(r",? or NO to\b")
_REPLY_WORD = re.compile(r"\b(?P<r>[Rr])eply (?P<word>YES|NO|RESEND)\b")
_COMMAND = re.compile(r"\b(YES|NO|RESEND|STOP|START|HELP)\b")
_QUOTED = re.compile(r"(?<!\w)['\"‘“](?P<words>[^'\"‘’“”\n]{1,40})['\"’”](?!\w)")

# -- numbers that are not quantities ---------------------------------------------------------------
_ENDING = re.compile(r"\b(?P<word>ending|ends)(?: in| with)?\s+(?P<digits>\d{4})\b")
_PHONE = re.compile(r"(?<![\w+])(?P<plus>\+)?(?P<number>\d[\d\s().-]{8,20}\d)(?![\d])")
_ORDER = re.compile(r"\b(?P<word>[Oo]rders?)\s+(?:number\s+|no\.?\s+|#\s?)?(?P<id>[A-Z]{0,3}\d{3,8})\b")
_ORDER_LIST = re.compile(r"\b[Oo]rders(?: are|:)\s+[^.?!]+")
_LISTED_ID = re.compile(r"(?:(?<=[,;:]\s)|(?<=\sare\s)|(?<=\sand\s)|(?<=\sor\s))(?P<id>[A-Z]{0,3}\d{4,8})\b(?![,.]\d)")
_REFERENCE = re.compile(r"\b(?P<word>[Rr]eference|[Rr]equest|[Tt]icket|[Rr]ef\.?)\s+(?:number\s+)?"
                        r"(?P<ref>(?=[A-Z]*\d)[A-Z0-9]{4,12}|[A-Z0-9]{8})\b")

# -- amounts, dates, times --------------------------------------------------------------------------
_AMOUNT = re.compile(r"(?P<minus>[-\u2212])?(?P<sign>US\$|\$|€|£)\s?(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{2}))?(?!\d)")
_ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<hh>\d{2}):(?P<mm>\d{2})(?::\d{2}(?:\.\d+)?)?"
                       r"(?:Z|[+-]\d{2}:?\d{2})?)?\b")
_WRITTEN_DATE = re.compile(rf"\b(?:(?P<weekday>{_DAY_NAME})\s+)?(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH_NAME})\b")
_CLOCK_12 = r"(?P<{p}h>\d{{1,2}})(?::(?P<{p}m>[0-5]\d))?\s?(?P<{p}ap>[ap])\.?m\.?(?![a-z])"
_CLOCK_24 = r"(?<![\d:.])(?P<{p}h>[01]?\d|2[0-3]):(?P<{p}m>[0-5]\d)(?![\d:])"
_TIME = re.compile(rf"\b(?:{_CLOCK_12.format(p='a')}|{_CLOCK_24.format(p='b')})", re.IGNORECASE)
_TIME_RANGE = re.compile(r"(?P<a>\d{1,2}(?::\d{2})? [ap]\.m\.|\d{1,2}(?::\d{2})? (?:noon|midnight)|noon|midnight)"
                         r"\s?[-–]\s?(?=\d|noon|midnight)")
_NUMBER_RANGE = re.compile(r"\b(?P<a>\d{1,3})\s?[-–]\s?(?P<b>\d{1,3})\b(?=\s+(?:working\s+|business\s+)?"
                           r"(?:days?|weeks?|hours?|minutes?|months?|years?)\b)")
_ROUND_THE_CLOCK = re.compile(r"\b24/7\b")
_DIGIT_WORDS = {"6-digit": "six-digit", "4-digit": "four-digit"}


def for_the_ear(text: str, expecting: Optional[str] = None) -> str:
    """``text`` as a voice should read it.

    ``expecting``: what the conversation now waits for (None, "yes_no" or "code"); when given and
    the text does not already say how to answer on a phone, that is said at the end. A channel
    saying several replies in one turn passes it with the last one only.
    """
    spoken = _unreadable_removed(text or "")
    spoken = _for_a_phone(spoken)
    spoken = _numbers_read_out(spoken)
    spoken = _tidy(spoken)
    if expecting in (YES_NO, CODE) and spoken and spoken[-1] not in ".!?":
        spoken += "."
    if expecting == YES_NO and "press 1" not in spoken:
        spoken = f"{spoken} {KEYPAD_YES_NO}".strip()
    elif expecting == CODE and "keypad" not in spoken:
        spoken = f"{spoken} {KEYPAD_CODE}".strip()
    return spoken


def digit_by_digit(characters: str) -> str:
    """ "A1001" -> "A 1 0 0 1": each character on its own, as a code or a reference must be heard."""
    return " ".join(ch for ch in characters if ch.isalnum())


def amount_in_words(sign: str, whole: str, cents: Optional[str], minus: bool = False) -> str:
    """ "$", "1,250", "50" -> "1,250 dollars and 50 cents"; "$", "700", "00" -> "700 dollars"."""
    one, many, hundredth, hundredths_word = _CURRENCIES.get(sign, _CURRENCIES["$"])
    units = int(whole.replace(",", ""))
    hundredths = int(cents or "0")
    parts = []
    if units or not hundredths:
        parts.append(f"{whole} {one if units == 1 else many}")
    if hundredths:
        parts.append(f"{hundredths} {hundredth if hundredths == 1 else hundredths_word}")
    return ("minus " if minus else "") + " and ".join(parts)


def day_in_words(weekday: Optional[str], day: int, month: str, year: Optional[int] = None) -> str:
    """ "Thu", 3, "Dec" -> "Thursday the 3rd of December"."""
    month_name = _MONTH_OF.get(month[:3].lower(), month)
    day_name = _DAY_OF.get(weekday[:3].lower(), weekday) if weekday else None
    said = f"the {_ordinal(day)} of {month_name}" + (f" {year}" if year else "")
    return f"{day_name} {said}" if day_name else said


def time_in_words(hour: int, minute: int) -> str:
    """14, 30 -> "2:30 p.m."; 12, 0 -> "noon"; 0, 0 -> "midnight"."""
    if minute == 0 and hour in (0, 24):
        return "midnight"
    if minute == 0 and hour == 12:
        return "noon"
    half = "a.m." if hour % 24 < 12 else "p.m."
    shown = hour % 12 or 12
    return f"{shown}:{minute:02d} {half}" if minute else f"{shown} {half}"


def phone_in_groups(number: str, plus: bool = False) -> str:
    """ "+15550100001" -> "plus 1, 5 5 5, 0 1 0, 0 0 0 1": a number read in the groups people say."""
    digits = "".join(ch for ch in number if ch.isdigit())
    groups = []
    if digits.startswith("1") and len(digits) == 11:  # North America: 1, area code, exchange, line
        groups, digits = ["1"], digits[1:]
    if len(digits) == 10 and (groups or not plus):
        groups += [digits[:3], digits[3:6], digits[6:]]
    else:
        while len(digits) > 4:
            groups.append(digits[:3])
            digits = digits[3:]
        groups.append(digits)
    return ("plus " if plus else "") + ", ".join(digit_by_digit(group) for group in groups)


# -- the steps -------------------------------------------------------------------------------------

def _unreadable_removed(text: str) -> str:
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub("our website", text)  # never read out; the caller can be texted a link
    text = _EMAIL.sub(lambda m: _email_in_words(m.group(0)), text)
    text = _MASK.sub(lambda m: f"{m.group('brand') or 'card'} ending {m.group('last4')}", text)  # "•••• 4242"
    text = _MD_STRONG.sub(r"\2", text)
    text = _MD_EMPHASIS.sub(lambda m: m.group(1) or m.group(2), text)
    text = _MD_CODE.sub(r"\1", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub("", text)
    text = _EMOJI.sub("", text)
    text = _DOTS.sub(",", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(line if line[-1] in ".!?:;," else f"{line}." for line in lines) if len(lines) > 1 else \
        (lines[0] if lines else "")


def _for_a_phone(text: str) -> str:
    """The keyboard's answers as a caller gives them: say a word or press a key."""
    text = _YES_OR_NO.sub(lambda m: f"{_capital_like(m, 'say')} yes or press 1 to {m.group('yes')}; "
                                    f"say no or press 2 to {m.group('no')}", text)
    text = _WITH_CODE.sub(lambda m: f"{'E' if m.group('r') == 'R' else 'e'}nter the {m.group('what')} "
                                    "on your keypad or say it digit by digit", text)
    text = _RESEND_IN_LIST.sub("say resend", text)
    text = _OR_NO.sub(", or say no to", text)
    text = _REPLY_WORD.sub(lambda m: f"{'S' if m.group('r') == 'R' else 's'}ay {m.group('word').lower()}", text)
    text = _QUOTED.sub(r"\g<words>", text)
    for written, said in _DIGIT_WORDS.items():
        text = text.replace(written, said)
    return _COMMAND.sub(lambda m: m.group(1).lower(), text)


def _numbers_read_out(text: str) -> str:
    text = _ISO_DATE.sub(_iso_date, text)
    text = _AMOUNT.sub(lambda m: amount_in_words(m.group("sign"), m.group("whole"), m.group("cents"),
                                                 bool(m.group("minus"))), text)
    text = _ENDING.sub(lambda m: f"{'ending in' if m.group('word') == 'ending' else 'ends in'} "
                                 f"{digit_by_digit(m.group('digits'))}", text)
    text = _PHONE.sub(_phone, text)
    text = _ORDER_LIST.sub(lambda m: _LISTED_ID.sub(lambda n: digit_by_digit(n.group("id")), m.group(0)), text)
    text = _ORDER.sub(lambda m: f"{m.group('word')} {digit_by_digit(m.group('id'))}", text)
    text = _REFERENCE.sub(lambda m: f"{m.group('word')} {digit_by_digit(m.group('ref'))}", text)
    text = _WRITTEN_DATE.sub(_written_date, text)
    text = _TIME.sub(_time, text)
    text = _TIME_RANGE.sub(r"\g<a> to ", text)
    text = _NUMBER_RANGE.sub(r"\g<a> to \g<b>", text)
    return _ROUND_THE_CLOCK.sub("around the clock", text)


def _tidy(text: str) -> str:
    text = re.sub(r"\s*\(\s*([^()]*?)\s*\)", r", \1,", text)  # an aside, heard as one
    text = text.replace("&", " and ").replace("…", ".").replace("—", ", ").replace("–", ", ")
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    text = re.sub(r"[,;:]+\s*([.!?])", r"\1", text)
    text = re.sub(r"\.(?:\s*\.)+", ".", text)
    text = re.sub(r"^[\s,;:.]+", "", text)
    text = re.sub(r"(?<!p\.m|a\.m)([.!?])\s*,", r"\1", text)  # "Done. (note)", but "5 p.m., then"
    return text.strip()


# -- helpers ---------------------------------------------------------------------------------------

def _capital_like(match: Match[str], word: str) -> str:
    return word.capitalize() if match.group(0)[0].isupper() else word


def _email_in_words(address: str) -> str:
    said = {"@": " at ", ".": " dot ", "_": " underscore ", "-": " dash ", "+": " plus "}
    return "".join(said.get(ch, ch) for ch in address)


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _iso_date(m: Match[str]) -> str:
    try:
        value = date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return m.group(0)
    said = day_in_words(_DAYS[value.weekday()], value.day, _MONTHS[value.month - 1], value.year)
    if m.group("hh") is not None and int(m.group("hh")) < 24 and int(m.group("mm")) < 60:
        said += f" at {time_in_words(int(m.group('hh')), int(m.group('mm')))}"
    return said


def _written_date(m: Match[str]) -> str:
    day = int(m.group("day"))
    return day_in_words(m.group("weekday"), day, m.group("month")) if 1 <= day <= 31 else m.group(0)


def _time(m: Match[str]) -> str:
    if m.group("ah") is not None:
        hour, minute = int(m.group("ah")), int(m.group("am") or 0)
        if not 1 <= hour <= 12:
            return m.group(0)
        pm = m.group("aap").lower() == "p"
        return time_in_words(hour % 12 + (12 if pm else 0), minute)
    return time_in_words(int(m.group("bh")), int(m.group("bm")))


def _phone(m: Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in m.group("number"))
    if not 10 <= digits <= 15:
        return m.group(0)
    return phone_in_groups(m.group("number"), plus=bool(m.group("plus")))

