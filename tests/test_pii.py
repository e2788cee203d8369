"""Masking personal data (qa_toolkit.pii): a table of tricky cases (dates, times, prices and flight numbers
stay; unicode names; an e-mail inside a URL; cards with spaces and dashes), and hypothesis invariants:
masking is idempotent and never leaves a Luhn-valid card number, an e-mail address or a given name."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa_toolkit.pii import card_spans, iban_valid, luhn_valid, mask_text, names_in_text

CASES = [
    # e-mail addresses, also inside a URL, URL-encoded, with a plus and subdomains
    ("mail me at dana.smith+qa@mail.example.co.uk today", "mail me at [EMAIL] today"),
    (
        "https://shop.example/unsubscribe?email=dana%40example.com&list=2",
        "https://shop.example/unsubscribe?email=[EMAIL]&list=2",
    ),
    ("mailto:dana@example.org", "mailto:[EMAIL]"),
    ("https://example.com/u/dana@example.com/settings", "https://example.com/u/[EMAIL]/settings"),
    # handles
    ("@DeltaAssist thanks! cc @dana_s", "[HANDLE] thanks! cc [HANDLE]"),
    ("see https://medium.com/@dana/post", "see https://medium.com/[HANDLE]/post"),
    # card numbers: Luhn-valid 13-19 digits, as one run, with spaces, with dashes; not Luhn-valid ones
    ("card 4111 1111 1111 1111 exp 12/27", "card [CARD] exp 12/27"),
    ("4111-1111-1111-1111", "[CARD]"),
    ("paid with 5500005555555559.", "paid with [CARD]."),
    ("amex 3782 822463 10005", "amex [CARD]"),
    ("visa 4222222222222 (13 digits)", "visa [CARD] (13 digits)"),
    ("code 4111 1111 1111 1112 is not a card", "code 4111 1111 1111 1112 is not a card"),
    ("4111111111111111 1234", "[CARD] 1234"),
    # IBANs (mod 97 checked)
    ("IBAN NL91 ABNA 0417 1643 00 please", "IBAN [IBAN] please"),
    ("to DE89370400440532013000.", "to [IBAN]."),
    # order and booking numbers
    ("my order 1001 has not arrived", "my order [ORDER] has not arrived"),
    ("Order #A-99812", "Order #[ORDER]"),
    ("order number: 4567891230", "order number: [ORDER]"),
    ("booking reference XKQTRM", "booking reference [ORDER]"),
    ("confirmation code is ABC123.", "confirmation code is [ORDER]."),
    ("bestelnummer 2024-88812", "bestelnummer [ORDER]"),
    ("ticket #884512", "ticket #[ORDER]"),
    ("see #88451 for that", "see [ORDER] for that"),
    ("tracking number 1Z999AA10123456784.", "tracking number [ORDER]."),
    ("your order is on its way", "your order is on its way"),
    ("reference 2024-05-12 was the date", "reference 2024-05-12 was the date"),
    # phone numbers
    ("call 020 7946 0958 please", "call [PHONE] please"),
    ("on +44 7700 900123 or (415) 555-2671", "on [PHONE] or [PHONE]"),
    ("bel 06-12345678 of 0031 20 123 4567", "bel [PHONE] of [PHONE]"),
    ("call me at 555-1234", "call me at [PHONE]"),
    ("tel: +31 (0)20 123 4567.", "tel: [PHONE]."),
    # dates, times, prices, flight numbers, timestamps and versions stay
    ("Flight BA 2490 at 10:30 on 12/05/2024", "Flight BA 2490 at 10:30 on 12/05/2024"),
    ("flights UA1234 and DL 2345 leave 2024-05-12 14:30:00", "flights UA1234 and DL 2345 leave 2024-05-12 14:30:00"),
    ("it cost $1,299.99, or €1.299,95, or 1299 EUR", "it cost $1,299.99, or €1.299,95, or 1299 EUR"),
    ("refund of 123456789 miles", "refund of 123456789 miles"),
    ("open 09:00-17:30 Mon-Fri, 31-10-2017", "open 09:00-17:30 Mon-Fri, 31-10-2017"),
    ("Tue Oct 31 22:10:47 +0000 2017", "Tue Oct 31 22:10:47 +0000 2017"),
    ("version 10.2.3.4, 1,234,567 points", "version 10.2.3.4, 1,234,567 points"),
    ("at 12.05.2024 14:30", "at 12.05.2024 14:30"),
    # postcodes where clear
    ("1012 AB Amsterdam", "[POSTCODE] Amsterdam"),
    ("London SW1A 1AA", "London [POSTCODE]"),
    ("Austin, TX 78701", "Austin, TX [POSTCODE]"),
    ("postcode: 10115", "postcode: [POSTCODE]"),
    ("landing 1030 AM", "landing 1030 AM"),
    # names from the text itself
    ("Hi Dana, sorry for the wait.", "Hi [NAME], sorry for the wait."),
    ("Dear Mr. Smith,", "Dear Mr. [NAME],"),
    ("Hoi Anneke! Dank je.", "Hoi [NAME]! Dank je."),
    ("Thanks, that worked.\nRegards,\nSam Keller", "Thanks, that worked.\nRegards,\n[NAME]"),
    ("Thanks Dana! Dana, anything else?", "Thanks [NAME]! [NAME], anything else?"),
    ("Hi there, thanks again! ^Kelly", "Hi there, thanks again! ^[NAME]"),
    ("Sorry About that.", "Sorry About that."),
    ("Hello team, hi all", "Hello team, hi all"),
    ("my name is Lee and this is Priya from billing.", "my name is [NAME] and this is [NAME] from billing."),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_mask_text_table(text: str, expected: str) -> None:
    assert mask_text(text) == expected


NAME_CASES = [
    # names known from the conversation: full names in any case, parts where capitalised
    (
        "Noor de Vries checked. NOOR agrees; de Vries too.",
        ("Noor de Vries",),
        "[NAME] checked. [NAME] agrees; de [NAME] too.",
    ),
    ("noor de vries wrote", ("Noor de Vries",), "[NAME] wrote"),
    ("Sorry Zoë, Ångström here.", ("Zoë Ångström",), "Sorry [NAME], [NAME] here."),
    ("Sorry Zoe\u0308", ("Zo\u00eb",), "Sorry [NAME]"),  # decomposed in the text, composed as given
    ("Łukasz Żółć i Nguyễn Văn An", ("Łukasz Żółć", "Nguyễn Văn An"), "[NAME] i [NAME]"),
    ("Mark my words, Mark.", ("Mark",), "[NAME] my words, [NAME]."),
    ("I will park here", ("Lee Park",), "I will park here"),
    ("José's order", ("José",), "[NAME]'s order"),
    ("Josephine", ("Jose",), "Josephine"),
    ("handle @dana_s", ("@dana_s",), "handle [HANDLE]"),
]


@pytest.mark.parametrize(("text", "names", "expected"), NAME_CASES)
def test_mask_text_known_names(text: str, names: tuple[str, ...], expected: str) -> None:
    assert mask_text(text, names=names) == expected


def test_helpers() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert not luhn_valid("") and not luhn_valid("12a4")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid("GB82 WEST 1234 5698 7654 33")
    assert "[IBAN]" not in mask_text("NL91 ABNA 0417 1643 01 has a wrong check")
    assert card_spans("x 4111 1111 1111 1111 y") == [(2, 21)]
    assert names_in_text("Hi Dana,\nthanks.\nBest,\nSam") == ["Dana", "Sam"]
    assert mask_text("") == "" and mask_text("nothing to see here") == "nothing to see here"
    assert mask_text("call 06-12345678", handles=False, regions=()) == "call [PHONE]"  # the word says so
    assert mask_text("@dana", handles=False) == "@dana"


# --------------------------------------------------------------------------- invariants

_EMAIL_LEFT = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def luhn_left(text: str) -> list[str]:
    """Card numbers left in ``text``: stretches of whole digit groups (separated by one space or dash)
    of 13-19 digits that pass the Luhn check, found by brute force."""
    found = []
    for run in re.finditer(r"(?<![0-9])[0-9]+(?:[ -][0-9]+)*(?![0-9])", text):
        groups = re.findall(r"[0-9]+", run.group())
        for i in range(len(groups)):
            for j in range(i, len(groups)):
                digits = "".join(groups[i : j + 1])
                if 13 <= len(digits) <= 19 and luhn_valid(digits):
                    found.append(digits)
    return found


def _with_luhn(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError


def _card(body: str, sep: str, size: int) -> str:
    number = _with_luhn(body)
    return sep.join(number[i : i + size] for i in range(0, len(number), size))


cards = st.builds(
    _card,
    st.text(alphabet="0123456789", min_size=12, max_size=18),
    st.sampled_from(["", " ", "-"]),
    st.sampled_from([4, 5, 6, 19]),
)
emails = st.builds(
    lambda local, host, tld: f"{local}@{host}.{tld}",
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,12}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,10}", fullmatch=True),
    st.sampled_from(["com", "nl", "co.uk", "io"]),
)
names = st.sampled_from(["Dana", "Zoë Ångström", "Noor de Vries", "José", "Lee Park", "Łukasz"])
pieces = st.one_of(
    cards,
    emails,
    names,
    st.sampled_from(
        [
            " ",
            ", ",
            ". ",
            "\n",
            "-",
            "@",
            "#",
            "+",
            "/",
            ":",
            "Hi ",
            "order ",
            "call ",
            "Thanks, ",
            "Regards,\n",
            "12/05/2024",
            "10:30",
            "$1,299.99",
            "BA 2490",
            "+44 20 7946 0958",
            "NL91 ABNA 0417 1643 00",
            "[NAME]",
        ]
    ),
    st.text(alphabet="0123456789 -", max_size=25),
    st.text(max_size=12),
)
texts = st.lists(pieces, max_size=12).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, known=st.lists(names, max_size=2))
@example(text="4111111111111111 4111111111111111", known=[])
@example(text="x@y.com@z.com a@b.c.de", known=[])
def test_masking_is_idempotent_and_leaves_no_card_email_or_name(text: str, known: list[str]) -> None:
    once = mask_text(text, names=known)
    assert mask_text(once, names=known) == once
    assert not luhn_left(once), once
    assert not _EMAIL_LEFT.search(once), once
    for name in known:
        assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", once), once


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_masks_idempotently(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once
    assert not luhn_left(once) and not _EMAIL_LEFT.search(once)
