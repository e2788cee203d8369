"""Builds the demo corpus: seeded, deterministic support conversations from the scenario and phrase modules."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from typing import Any

from qa_toolkit.demo import people, scenarios_billing, scenarios_nl, scenarios_orders, scenarios_tech
from qa_toolkit.demo.agents import (
    AGENTS,
    AUTO_ID,
    AUTO_NAME,
    BOT_ID,
    BOT_NAME,
    BRAND_HANDLE,
    DUTCH_AGENTS,
    LEADS,
)
from qa_toolkit.demo.model import Agent, Opening, Phrases, Scenario, Style
from qa_toolkit.demo.phrases_en import EN
from qa_toolkit.demo.phrases_nl import NL
from qa_toolkit.schema import ConversationIn

DEFAULT_END = date(2026, 11, 15)
WEEKS = 12
N_CONVERSATIONS = 360
N_DUTCH = 11
SPIKE_WEEKS = (6, 7)  # a courier disruption: more delivery cases, slower first answers
N_NULL_TIMES = 6  # social messages exported without a timestamp

SCENARIOS_EN: tuple[Scenario, ...] = (
    *scenarios_orders.SCENARIOS,
    *scenarios_billing.SCENARIOS,
    *scenarios_tech.SCENARIOS,
)
SCENARIOS_NL: tuple[Scenario, ...] = scenarios_nl.SCENARIOS
PHRASES = {"en": EN, "nl": NL}

# --------------------------------------------------------------------------- time


def _between(rng: Random, low: float, high: float) -> float:
    """A log-uniform draw: most values near ``low``, a long tail towards ``high``."""
    return math.exp(rng.uniform(math.log(low), math.log(high)))


_OPEN_HOURS = {
    # (first hour, last hour) per weekday, Monday first; None = closed
    "office": ((8, 18),) * 5 + (None, None),
    "chat": ((8, 20),) * 6 + ((10, 16),),
    "social": ((7, 22),) * 7,
}


def _is_open(t: datetime, hours: str) -> bool:
    window = _OPEN_HOURS[hours][t.weekday()]
    return window is not None and window[0] <= t.hour < window[1]


def _snap(rng: Random, t: datetime, hours: str) -> datetime:
    """``t`` if the team is at work then, else a few minutes after the team's next start."""
    if _is_open(t, hours):
        return t
    day = t.date()
    for _ in range(8):
        window = _OPEN_HOURS[hours][day.weekday()]
        if window is not None:
            start = datetime.combine(day, time(window[0]), tzinfo=UTC)
            if start > t:
                return start + timedelta(minutes=_between(rng, 3, 55))
        day += timedelta(days=1)
    return t  # unreachable with the tables above


def _awake(rng: Random, t: datetime) -> datetime:
    """Customers rarely write between midnight and 6am; move such times to the morning."""
    if t.hour < 6:
        return t.replace(hour=rng.randint(6, 9), minute=rng.randint(0, 59))
    return t


# --------------------------------------------------------------------------- people and plans


@dataclass
class Customer:
    """A fictional customer; ``id`` is given when the customer first appears in time order."""

    first: str
    last: str
    handle: str
    email: str
    lang: str
    id: str | None = None

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def _make_customer(rng: Random, lang: str, taken: set[str]) -> Customer:
    firsts, lasts = (
        (people.FIRST_NAMES_NL, people.LAST_NAMES_NL) if lang == "nl" else (people.FIRST_NAMES_EN, people.LAST_NAMES_EN)
    )
    for _ in range(50):
        first, last = rng.choice(firsts), rng.choice(lasts)
        if f"{first} {last}" not in taken:
            break
    taken.add(f"{first} {last}")
    plain = "".join(ch for ch in (first + last).lower() if ch.isalpha())
    style = rng.random()
    if style < 0.3:
        handle = f"{first.lower()}_{plain[len(first) :][:8]}"
    elif style < 0.6:
        handle = f"{plain[:10]}{rng.randint(1, 99)}"
    elif style < 0.8:
        handle = f"{first.lower()}{last[0].lower()}{rng.randint(80, 99)}"
    else:
        handle = f"{rng.choice(people.QUIRKY_HANDLES)}{rng.randint(1, 9)}"
    sep = rng.choice((".", "", "_"))
    email = f"{first.lower()}{sep}{plain[len(first) :]}@{rng.choice(people.EMAIL_DOMAINS)}"
    return Customer(first=first, last=last, handle=handle, email=email, lang=lang)


@dataclass
class Plan:
    """What one conversation will be about, decided before any text is written."""

    created: datetime
    week: int
    scenario: Scenario
    channel: str
    customer: Customer
    forced_opening: int | None = None


def _channel_hour(rng: Random, channel: str) -> float:
    if channel == "chat":
        return rng.uniform(8.2, 19.8)
    if channel == "twitter":
        return rng.choice((rng.uniform(7, 23.9), rng.uniform(11, 22), rng.uniform(0, 2)))
    if channel == "phone":
        return rng.uniform(8.5, 20.5)
    # e-mail and web forms: office hours plus the evening peak
    return rng.choice((rng.uniform(7, 12.5), rng.uniform(12.5, 17.5), rng.uniform(18, 23.5)))


def _weighted(rng: Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _make_plans(rng: Random, start: date) -> list[Plan]:
    days = [start + timedelta(days=d) for d in range(WEEKS * 7)]
    day_weight = (1.3, 1.15, 1.1, 1.1, 1.0, 0.55, 0.45)
    weights = [day_weight[d.weekday()] * (1.45 if (i // 7 + 1) in SPIKE_WEEKS else 1.0) for i, d in enumerate(days)]
    dutch = set(rng.sample(range(N_CONVERSATIONS), N_DUTCH))
    rest = [i for i in range(N_CONVERSATIONS) if i not in dutch]
    security = rng.sample(rest, 2)
    customers: list[Customer] = []
    taken: set[str] = set()
    plans: list[Plan] = []
    for i in range(N_CONVERSATIONS):
        day_index = rng.choices(range(len(days)), weights=weights)[0]
        week = day_index // 7 + 1
        forced = None
        if i in security:
            scenario = scenarios_tech.SECURITY_REPORT
            forced = security.index(i)
            channel = ("chat", "web_form")[forced]
        else:
            pool = SCENARIOS_NL if i in dutch else SCENARIOS_EN
            spike = week in SPIKE_WEEKS
            scenario = rng.choices(pool, weights=[s.weight * (s.spike if spike else 1.0) for s in pool])[0]
            channel = _weighted(rng, scenario.channels)
        lang = scenario.language
        repeat = [c for c in customers if c.lang == lang]
        if repeat and rng.random() < 0.07:
            customer = rng.choice(repeat)
        else:
            customer = _make_customer(rng, lang, taken)
            customers.append(customer)
        hour = _channel_hour(rng, channel)
        created = datetime.combine(days[day_index], time(0), tzinfo=UTC) + timedelta(hours=hour)
        created = created.replace(second=rng.randint(0, 59), microsecond=0)
        plans.append(Plan(created, week, scenario, channel, customer, forced))
    plans.sort(key=lambda p: p.created)
    return plans


# --------------------------------------------------------------------------- slots


def money(value: float, ph: Phrases) -> str:
    """A price in the phrase set's currency and decimal style."""
    text = f"{value:,.2f}"
    if ph.decimal == ",":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{ph.currency}{text}"


def make_slots(rng: Random, scenario: Scenario, customer: Customer, created: datetime, ph: Phrases) -> dict[str, str]:
    """Every ``{slot}`` a template may use, filled for one conversation."""
    category = rng.choice(scenario.items)
    name, price = rng.choice(people.ITEMS[category])
    others = [n for n, _ in people.ITEMS[category] if n != name]
    other = rng.choice(others)
    if ph.lang == "nl":
        name, other = people.ITEMS_NL.get(name, name), people.ITEMS_NL.get(other, other)
    courier = rng.choice(people.COURIERS)
    device, os_name = rng.choice(people.DEVICES)
    ordered = created - timedelta(days=rng.randint(3, 24))
    day = created - timedelta(days=rng.randint(1, 4))
    nextday = created + timedelta(days=rng.randint(1, 3))
    while nextday.weekday() == 6:
        nextday += timedelta(days=1)
    renewal = created + timedelta(days=rng.randint(5, 26))
    town, code = rng.choice(people.TOWNS)
    street_a, street_b = rng.sample(people.STREETS, 2)

    def address(street: str) -> str:
        letters = "ABDEFGHJLNPQRSTUWXY"
        post = f"{code}{rng.randint(1, 19)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        return f"{rng.randint(2, 140)} {street}, {town} {post}"

    window = rng.choice(people.SLOTS)
    return {
        "first": customer.first,
        "name": customer.name,
        "handle": "@" + customer.handle,
        "email": customer.email,
        "order": f"#{rng.randint(40000, 59999)}",
        "item": name,
        "item2": other,
        "amount": money(price, ph),
        "ordered": f"{ordered.day} {ph.months[ordered.month - 1]}",
        "month": ph.months[ordered.month - 1],
        "day": ph.weekdays[day.weekday()],
        "nextday": ph.weekdays[nextday.weekday()],
        "courier": courier,
        "tracking": f"{people.COURIER_PREFIX[courier]}{rng.randint(10**9, 10**10 - 1)}",
        "code": rng.choice(people.PROMO_CODES),
        "invoice": f"INV-2026-{rng.randint(10000, 99999)}",
        "last4": f"{rng.randint(0, 9999):04d}",
        "address": address(street_a),
        "newaddress": address(street_b),
        "slot": window,
        "newslot": f"{ph.weekdays[rng.choice((2, 3, 5))]} {rng.choice(people.SLOTS)}",
        "device": device,
        "os": os_name,
        "version": rng.choice(people.APP_VERSIONS),
        "router": rng.choice(people.ROUTERS),
        "ref": f"KS-{rng.randint(20000, 29999)}",
        "plan": "Kestrel Plus",
        "plan_price": ph.plan_price,
        "renewal": f"{renewal.day} {ph.months[renewal.month - 1]}",
        "refund_days": ph.refund_days,
        "company": f"{customer.last} {rng.choice(people.COMPANY_SUFFIXES)}",
        "vatno": f"GB {rng.randint(100, 999)} {rng.randint(1000, 9999)} {rng.randint(10, 99)}",
        "needs": scenario.needs,
        "wait": str(rng.randint(2, 9)),
        "queue": str(rng.randint(2, 7)),
        "article": scenario.bot_article or "help.kestrel.example",
        "minutes": str(rng.randint(4, 18)),
        "seconds": str(rng.randint(18, 75)),
    }


# --------------------------------------------------------------------------- one conversation

QUALITIES = ("exemplary", "okay", "poor")
_QUALITY_SCORE = {"exemplary": 5.2, "okay": 3.9, "poor": 1.5}


@dataclass
class Ctx:
    """The state of one conversation while it is being written."""

    rng: Random
    plan: Plan
    ph: Phrases
    agent: Agent
    slots: dict[str, str]
    t: datetime
    spike: bool
    saga: int = 0
    patience: int = 3
    public: bool = True
    info_given: bool = False
    anger: int = 0
    trouble: bool = False
    pending_update: bool = False
    escalation: str = ""  # "", "asked", "done", "refused"
    solves: int = 0
    pushbacks: int = 0
    agent_turns: int = 0
    apologies: int = 0
    named: bool = False
    last_customer: str = ""
    base_quality: str = "okay"
    pair: tuple[str, str] | None = None
    outcome: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    qualities: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    tags: set[str] = field(default_factory=set)

    @property
    def scenario(self) -> Scenario:
        return self.plan.scenario

    @property
    def channel(self) -> str:
        return self.plan.channel

    @property
    def style(self) -> Style:
        return self.agent.styles[self.ph.lang]

    @property
    def emailish(self) -> bool:
        return self.channel in ("email", "web_form", "phone")

    @property
    def customer_turns(self) -> int:
        """Customer turns so far: runs of customer messages between human agent answers."""
        turns, previous = 0, ""
        for msg in self.messages:
            if msg["role"] == "customer" and not msg["is_automated"]:
                turns += previous != "customer"
                previous = "customer"
            elif msg["role"] == "agent" and not msg["is_internal"] and not msg["is_automated"]:
                previous = "agent"
        return turns

    def pick(self, pool: tuple[str, ...]) -> str:
        """A template from ``pool``, one not yet used in this conversation when there is one."""
        fresh = [p for p in pool if p not in self.used]
        choice = self.rng.choice(fresh or list(pool))
        self.used.add(choice)
        return choice

    def fill(self, template: str) -> str:
        return _articles(template.format_map(self.slots))

    def say(self, pool: tuple[str, ...]) -> str:
        return self.fill(self.pick(pool)) if pool else ""

    def say_fresh(self, pool: tuple[str, ...]) -> str:
        """Like ``say``, but nothing once every line has been used (apologies should not repeat)."""
        fresh = tuple(p for p in pool if p not in self.used)
        return self.say(fresh) if fresh else ""

    def quality(self) -> str:
        if self.agent.lead and self.escalation == "done":
            return "exemplary"
        if self.rng.random() < (0.4 if self.base_quality == "poor" else 0.65):
            q = self.base_quality
        else:
            q = self.rng.choices(QUALITIES, weights=self.agent.skill_in_week(self.plan.week))[0]
        if q == "poor" and self.kinds and self.kinds[-1] in ("step", "note"):
            return "okay"  # an agent following up on their own promise does what they promised
        return q

    def add(self, role: str, text: str, kind: str, *, raw: str | None = None, **flags: bool) -> None:
        if role == "customer":
            author, name = self.plan.customer.id, self.plan.customer.name
        elif role == "bot":
            author, name = BOT_ID, BOT_NAME
        elif kind == "auto":
            author, name = AUTO_ID, AUTO_NAME
        else:
            author, name = self.agent.id, self.agent.name
        if role == "agent" and kind != "note" and self.slots["first"] in text:
            self.named = True
        self.messages.append(
            {
                "id": f"m{len(self.messages) + 1}",
                "role": role,
                "author": author,
                "author_name": name,
                "sent_at": self.t.replace(microsecond=0),
                "text": text,
                "raw_text": raw,
                "is_internal": flags.get("internal", False),
                "is_automated": flags.get("automated", False),
            }
        )
        self.kinds.append(kind)

    # ----------------------------------------------------------------- timing
    def wait_customer(self, *, extra_hours: float = 0.0) -> None:
        rng = self.rng
        if self.channel == "chat" and not extra_hours:
            self.t += timedelta(seconds=_between(rng, 12, 140))
        elif self.channel == "twitter":
            self.t = _awake(rng, self.t + timedelta(minutes=_between(rng, 1, 300), hours=extra_hours))
        else:
            self.t = _awake(rng, self.t + timedelta(minutes=_between(rng, 4, 1300), hours=extra_hours))

    def wait_agent(self, *, first: bool = False, later: bool = False) -> None:
        """Advance the clock to the agent's next message; ``later`` is an update after a pause."""
        rng, speed = self.rng, self.agent.speed * (1.6 if self.spike else 1.0)
        if self.channel == "chat" and not later:
            seconds = _between(rng, 25, 420) * speed if first else _between(rng, 15, 150)
            self.t += timedelta(seconds=seconds)
            return
        if self.channel == "twitter" and not later:
            minutes = _between(rng, 4, 300) * speed if first else _between(rng, 2, 90)
            self.t = _snap(rng, self.t + timedelta(minutes=minutes), "social")
            return
        if first:
            r = rng.random()
            if r < 0.25:
                minutes = rng.uniform(15, 90)
            elif r < 0.6:
                minutes = rng.uniform(90, 360)
            elif r < 0.86:
                minutes = rng.uniform(360, 1440)
            elif r < 0.96:
                minutes = rng.uniform(1440, 2880)
            else:
                minutes = rng.uniform(2880, 5760)
            minutes *= speed
        elif later:
            minutes = _between(rng, 180, 2600)
        else:
            minutes = _between(rng, 20, 480) * self.agent.speed
        hours = {"chat": "chat", "twitter": "social"}.get(self.channel, "office")
        self.t = _snap(rng, self.t + timedelta(minutes=minutes), hours)


# --------------------------------------------------------------------------- writing messages


_ARTICLE = re.compile(r"\b([Aa])n? ((?:[A-Z]|i[A-Z])\w*)")


def _articles(text: str) -> str:
    """'a' or 'an' before a product or device name, whichever it needs ("an Ardent", "a Pixel")."""

    def choose(m: re.Match[str]) -> str:
        word = m.group(2)
        article = "an" if word[0] in "AEIOUi" and not word.startswith("One") else "a"
        return f"{m.group(1)}{article[1:]} {word}"

    return _ARTICLE.sub(choose, text)


def _sign_social(ctx: Ctx, text: str) -> str:
    prefix = f"{ctx.slots['handle']} " if ctx.public else ""
    return f"{prefix}{text} ^{ctx.agent.initials}"


def _unname(text: str, first: str) -> str:
    """Drop the customer's name from a phrase when the message already greets them by name."""
    if not text or first not in text:
        return text
    if text.startswith(f"{first}, "):
        rest = text[len(first) + 2 :]
        return rest[:1].upper() + rest[1:]
    return text.replace(f", {first}", "").replace(f" {first}", "")


def _name_once(parts: list[str], first: str, *, already: bool) -> list[str]:
    """Keep the customer's name in the first part that has it (or none when ``already``)."""
    out = []
    for part in parts:
        if first in part and already:
            part = _unname(part, first)
        already = already or first in part
        out.append(part)
    return out


_APOLOGY_WORDS = ("sorry", "apolog", "spijt", "excuses")


def _apologises(text: str) -> bool:
    return any(word in text.lower() for word in _APOLOGY_WORDS)


def _specific_sorry(ctx: Ctx, body: str) -> str:
    return "" if _apologises(body) else ctx.say_fresh(ctx.scenario.sorry)


def _agent_message(
    ctx: Ctx,
    q: str,
    body: str,
    kind: str,
    *,
    apology: str = "",
    opener: str = "",
    closer: bool = True,
    greet: bool = True,
) -> None:
    """Write one human agent message in the agent's style for the channel, at quality ``q``."""
    rng, style, first = ctx.rng, ctx.style, ctx.slots["first"]
    if apology and _apologises(opener) and q != "exemplary":
        apology = ""  # "sorry for the wait" already; a second stock apology would pile up
    first_reply = ctx.agent_turns == 0
    if ctx.channel == "twitter":
        hello = ""
        if q == "exemplary" and greet and not ctx.named and rng.random() < 0.5:
            hello = f"{'Hoi' if ctx.ph.lang == 'nl' else 'Hi'} {first}! "
        parts = _name_once([opener, apology], first, already=bool(hello) or ctx.named)
        core = " ".join(x for x in (*parts, body) if x)
        tail = ""
        if q == "exemplary" and kind == "solve" and rng.random() < 0.4:
            tail = f" {ctx.say_fresh(ctx.ph.social_closers)}".rstrip()
        ctx.add("agent", _sign_social(ctx, hello + core + tail), kind)
        return
    if ctx.channel == "chat":
        hello = ""
        if first_reply and greet and q != "poor":
            hello = ctx.fill(ctx.pick(style.chat_hello))
            if rng.random() < 0.5:
                ctx.add("agent", hello, "hello")
                ctx.t += timedelta(seconds=_between(rng, 20, 110))
                hello = ""
        parts = _name_once([opener, apology], first, already=ctx.named or first in hello)
        core = " ".join(x for x in (hello, *parts, body) if x)
        if closer and q == "exemplary" and kind == "solve" and rng.random() < 0.5:
            core = f"{core} {ctx.fill(ctx.pick(style.chat_closers))}"
        ctx.add("agent", core, kind)
        return
    # e-mail, web form and phone follow-ups
    greeting = ""
    if greet:
        if q == "exemplary":
            greeting = ctx.fill(ctx.pick(style.greet))
        elif q == "okay":
            greeting = ctx.fill(ctx.pick(style.greet if rng.random() < 0.5 else style.greet_anon))
        elif rng.random() < 0.7:
            greeting = ctx.pick(ctx.ph.poor_greetings)
    parts = _name_once([opener, apology], first, already=first in greeting)
    core = " ".join(x for x in (*parts, body) if x)
    ending = ""
    if closer and (q == "exemplary" and rng.random() < 0.8 or q == "okay" and rng.random() < 0.35):
        ending = ctx.fill(ctx.say_fresh(style.closers))
    text = "\n\n".join(x for x in (greeting, core, ending) if x)
    signoff = style.signoff if q != "poor" or rng.random() < 0.5 else "Kestrel Customer Care"
    ctx.add("agent", text, kind, raw=f"{text}\n\n{signoff}")


def _customer_message(ctx: Ctx, text: str, kind: str) -> None:
    """Write one customer message; e-mail replies carry a sign-off and the quoted history in raw_text."""
    rng = ctx.rng
    ctx.last_customer = kind
    if ctx.channel == "twitter":
        if ctx.public and BRAND_HANDLE not in text:
            text = f"{BRAND_HANDLE} {text}"
        ctx.add("customer", text, kind)
        return
    if ctx.emailish and kind != "opening":
        raw = text
        if rng.random() < 0.5:
            raw += f"\n\n{ctx.slots['first']}"
        if rng.random() < 0.3:
            raw += f"\n\n{rng.choice(ctx.ph.mobile_footer)}"
        previous = next(
            (m for m in reversed(ctx.messages) if m["role"] == "agent" and not m["is_internal"]),
            None,
        )
        if previous is not None:
            when = previous["sent_at"].strftime("%a %d %b %Y at %H:%M")
            quoted = "\n".join(f"> {line}" if line else ">" for line in previous["text"].split("\n"))
            raw += f"\n\n{ctx.ph.quote_header.format(when=when)}\n{quoted}"
        ctx.add("customer", text, kind, raw=raw)
        return
    ctx.add("customer", text, kind)


def _note(ctx: Ctx, text: str) -> None:
    """An internal note, written a little before the agent's next message."""
    ctx.t += timedelta(seconds=ctx.rng.randint(20, 240))
    ctx.add("agent", text, "note", internal=True)
    ctx.t += timedelta(seconds=ctx.rng.randint(30, 240))


# --------------------------------------------------------------------------- the opening


def _text_of(opening: Opening) -> str:
    return opening if isinstance(opening, str) else opening[0]


def _choose_opening(ctx: Ctx, decks: dict[tuple[str, str], list[int]]) -> Opening:
    """The next opening from the scenario's shuffled deck for this kind of channel."""
    scenario, rng = ctx.scenario, ctx.rng
    social = ctx.channel == "twitter"
    if ctx.plan.forced_opening is not None:
        return scenario.openings[ctx.plan.forced_opening]

    def fits(opening: Opening) -> bool:
        text = _text_of(opening)
        if social:
            return BRAND_HANDLE in text or len(text) <= 170
        return BRAND_HANDLE not in text

    deck = decks.setdefault((scenario.key, "social" if social else "other"), [])
    if not deck:
        deck.extend(i for i, o in enumerate(scenario.openings) if fits(o))
        rng.shuffle(deck)
    return scenario.openings[deck.pop()]


def _info_given(ctx: Ctx, opening: Opening) -> bool:
    """Whether the agent can act without asking: the opening holds what is needed, or (off social
    media) the answer written for this opening does not need it."""
    slot = ctx.scenario.info_slot
    if slot is None or f"{{{slot}}}" in _text_of(opening):
        return True
    if isinstance(opening, str) or ctx.channel == "twitter":
        return False
    return f"{{{slot}}}" not in opening[1] + opening[2]


def _open(ctx: Ctx, decks: dict[tuple[str, str], list[int]]) -> bool:
    """Write the first customer message and whatever answers it automatically.

    Returns False when the conversation ends there (answered by the bot, or never answered).
    """
    rng, ph, scenario = ctx.rng, ctx.ph, ctx.scenario
    opening = _choose_opening(ctx, decks)
    ctx.pair = None if isinstance(opening, str) else (opening[1], opening[2])
    ctx.info_given = _info_given(ctx, opening)
    text = ctx.fill(_text_of(opening))
    if ctx.channel == "chat" and rng.random() < 0.85:
        ctx.t -= timedelta(seconds=rng.randint(6, 40))
        ctx.add("bot", ctx.pick(ph.bot_greet), "bot")
        ctx.t = ctx.plan.created
        _customer_message(ctx, text, "opening")
        ctx.t += timedelta(seconds=rng.randint(2, 5))
        if scenario.bot_article and rng.random() < 0.3:
            ctx.add("bot", ctx.fill(ctx.pick(ph.bot_article_intro)), "bot")
            ctx.t += timedelta(seconds=_between(rng, 10, 60))
            if scenario.bot_can_solve and rng.random() < 0.4:
                _customer_message(ctx, ctx.pick(ph.bot_accept), "thanks")
                ctx.t += timedelta(seconds=rng.randint(2, 5))
                ctx.add("bot", ctx.pick(ph.bot_goodbye), "bot_done")
                ctx.tags.add("bot-resolved")
                ctx.outcome = "resolved"
                return False
            _customer_message(ctx, ctx.pick(ph.bot_reject), "bot_reject")
            ctx.t += timedelta(seconds=rng.randint(2, 5))
        ctx.add("bot", ctx.fill(ctx.pick(ph.bot_handoff)), "bot")
        return True
    if ctx.channel == "web_form":
        labels = ph.form_labels
        field_value = "-"
        if scenario.info_slot == "order" and (ctx.info_given or rng.random() < 0.6):
            field_value = ctx.slots["order"]
            ctx.info_given = True
        text = f"{labels[0]}: {scenario.topic}\n{labels[1]}: {field_value}\n{labels[2]}:\n{text}"
        _customer_message(ctx, text, "opening")
    elif ctx.channel == "phone":
        _customer_message(ctx, f"{ph.voicemail.format_map(ctx.slots)} {text}", "opening")
        return True
    elif ctx.channel == "email":
        _customer_message(ctx, text, "opening")
        raw = f"{text}\n\n{rng.choice(('Thanks', 'Regards', 'Best', 'Many thanks'))},\n{ctx.slots['name']}"
        if rng.random() < 0.25:
            raw += f"\n\n{rng.choice(ph.mobile_footer)}"
        ctx.messages[-1]["raw_text"] = raw
    else:
        _customer_message(ctx, text, "opening")
    if ctx.channel in ("email", "web_form") and rng.random() < 0.75:
        ctx.t += timedelta(seconds=rng.randint(4, 50))
        pool = ph.auto_replies_busy if ctx.spike and rng.random() < 0.7 else ph.auto_replies
        auto = scenario.auto_reply or ctx.pick(pool)
        ctx.add("agent", ctx.fill(auto), "auto", automated=True)
    if ctx.channel in ("email", "web_form") and rng.random() < 0.035:
        # never answered by a human (yet)
        if rng.random() < 0.6:
            ctx.t += timedelta(days=rng.uniform(2, 5))
            _customer_message(ctx, ctx.say(ph.chase), "chase")
        ctx.outcome = "unanswered"
        return False
    return True


# --------------------------------------------------------------------------- agent turns


_REFERS_BACK = ("already", "previous", "as stated", "vorige")


def _standalone(ctx: Ctx, pool: tuple[str, ...]) -> tuple[str, ...]:
    """On the first answer, leave out lines that refer to earlier answers ("as we already told you")."""
    if ctx.agent_turns:
        return pool
    return tuple(line for line in pool if not any(w in line.lower() for w in _REFERS_BACK)) or pool


def _poor_reply(ctx: Ctx) -> str:
    """Write a poor reply; returns its kind (dm, generic, templated, ask_again, blame, curt)."""
    rng, ph = ctx.rng, ctx.ph
    kinds = dict(ctx.agent.poor_kinds)
    if "ask_again" in kinds and ctx.scenario.info_slot is None:
        del kinds["ask_again"]
    kind = rng.choices(list(kinds), weights=list(kinds.values()))[0]
    if ctx.channel == "twitter" and ctx.public and kind in ("generic", "templated"):
        body = ctx.say(ph.poor_social)
        if kind == "templated":
            body = f"{ctx.say(ph.templated_sorry)} {body}"
        kind = "dm"
    elif kind == "generic":
        body = ctx.say(ph.poor_generic)
    elif kind == "templated":
        body = f"{ctx.say(ph.templated_sorry)} {ctx.say(ph.poor_passed)}"
    elif kind == "ask_again":
        body = ctx.say(ph.poor_ask_again)
    elif kind == "blame":
        first, second = _standalone(ctx, ctx.scenario.blame or ph.poor_blame), _standalone(ctx, ph.poor_blame)
        if rng.random() < 0.4:
            first, second = second, first
        body = ctx.say(first)
        if rng.random() < 0.35:
            body = f"{body} {ctx.say(second)}"
    else:
        body = ctx.say(_standalone(ctx, ph.poor_curt))
    _agent_message(ctx, "poor", body, "poor", closer=False)
    if ctx.agent.id == "ag-gareth-lyle" and ctx.emailish and kind != "templated":
        # his habit: a stock apology under whatever he writes
        msg = ctx.messages[-1]
        msg["text"] += "\n\n" + ph.templated_sorry[1]
        msg["raw_text"] = msg["text"] + "\n\n" + ctx.style.signoff
    return kind


def _apology(ctx: Ctx, q: str, body: str) -> str:
    if not (ctx.scenario.problem or ctx.trouble):
        return ""
    rng = ctx.rng
    if ctx.apologies and rng.random() < 0.6:
        return ""  # apologised already; most agents don't do it in every message
    text = _apology_text(ctx, q, body)
    ctx.apologies += bool(text)
    return text


def _apology_text(ctx: Ctx, q: str, body: str) -> str:
    rng = ctx.rng
    if _apologises(body):
        return ""
    if q == "exemplary":
        return _specific_sorry(ctx, body) if rng.random() < 0.85 else ""
    r = rng.random()
    if r < 0.45:
        return ctx.say_fresh(ctx.ph.templated_sorry)
    if r < 0.6:
        return _specific_sorry(ctx, body)
    return ""


def _opener(ctx: Ctx, q: str) -> str:
    """Thanks for information just given, and an apology for a slow first answer."""
    rng, ph = ctx.rng, ctx.ph
    parts = []
    if ctx.agent_turns == 0 and ctx.emailish and ctx.messages and q != "poor":
        if ctx.t - ctx.messages[0]["sent_at"] > timedelta(hours=26):
            parts.append(ctx.say_fresh(ph.delay_sorry_named if q == "exemplary" else ph.delay_sorry))
    if ctx.last_customer in ("provide", "repeat") and q != "poor" and rng.random() < 0.7:
        parts.append(ctx.say_fresh(ph.acks_named if q == "exemplary" else ph.acks))
    return " ".join(p for p in parts if p)


def _solve_body(ctx: Ctx, q: str) -> str:
    """The answer: the one written for this opening first, then an unused one from the scenario's
    pools (the agent's level first); "" when every answer has been given already."""
    scenario = ctx.scenario
    if ctx.pair is not None and ctx.solves == 0:
        ctx.used.update(ctx.pair)
        return ctx.fill(ctx.pair[0] if q == "exemplary" else ctx.pair[1])
    first, second = (scenario.solve_best, scenario.solve_ok)[:: 1 if q == "exemplary" else -1]
    return ctx.say_fresh(first) or ctx.say_fresh(second)


def _unused(ctx: Ctx, pool: tuple[str, ...]) -> bool:
    return any(p not in ctx.used for p in pool)


def _take_over(ctx: Ctx) -> str:
    """The team lead reads the thread and answers it properly."""
    ph, lead = ctx.ph, LEADS[ctx.agent.team]
    _note(ctx, ctx.say(ph.handover_notes))
    ctx.agent, ctx.slots["agent"] = lead, lead.first
    ctx.named = False
    ctx.wait_agent()
    intro = ctx.fill(ctx.pick(ph.lead_intro))
    body = _solve_body(ctx, "exemplary") or ctx.say_fresh(ctx.scenario.update) or ctx.say(ctx.scenario.solve_best)
    _agent_message(ctx, "exemplary", body, "solve", opener=intro, greet=False)
    ctx.escalation, ctx.saga = "done", 0
    ctx.tags.add("escalated")
    ctx.qualities.append("exemplary")
    ctx.solves += 1
    ctx.pending_update = False
    return "solve"


def _agent_turn(ctx: Ctx) -> str:
    """Write the agent's next turn and return what it did (the action the customer reacts to)."""
    action = _agent_action(ctx)
    ctx.agent_turns += 1
    ctx.last_customer = ""
    return action


def _agent_action(ctx: Ctx) -> str:
    rng, ph, scenario = ctx.rng, ctx.ph, ctx.scenario
    q = ctx.quality()

    if ctx.escalation == "asked":
        if ctx.agent is LEADS[ctx.agent.team] or ph.lang != "en":
            ctx.escalation, q = "done", "exemplary"
        elif q == "poor" and rng.random() < 0.5:
            _agent_message(ctx, "poor", ctx.say(ph.escalation_refusal), "poor", closer=False)
            ctx.qualities.append("poor")
            ctx.escalation = "refused"
            return "refused"
        else:
            return _take_over(ctx)

    if rng.random() < 0.05 and ctx.agent_turns > 0:
        _note(ctx, ctx.say(ph.generic_notes))

    if q == "poor":
        kind = _poor_reply(ctx)
        ctx.qualities.append(q)
        return f"poor:{kind}"

    opener = _opener(ctx, q)
    long_thread = bool(ctx.saga) and ctx.customer_turns < ctx.saga - 1
    if long_thread and not (_unused(ctx, scenario.step) or _unused(ctx, ph.holding)):
        ctx.saga, long_thread = 0, False  # nothing new left to say: the case gets its answer now

    if not ctx.info_given and (scenario.ask or scenario.dm_ask):
        if ctx.channel == "twitter" and ctx.public:
            body = ctx.say(scenario.dm_ask) if q == "exemplary" and scenario.dm_ask else ctx.say(ph.generic_dm_ask)
        else:
            body = ctx.say(scenario.ask[:2] if q == "exemplary" else scenario.ask)
        _agent_message(ctx, q, body, "ask", apology=_apology(ctx, q, body), opener=opener, closer=False)
        action = "ask"
    elif ctx.channel == "twitter" and ctx.public and scenario.dm_ask and ctx.pair is None:
        body = ctx.say(ph.generic_dm_move)
        _agent_message(ctx, q, body, "ask", apology=_apology(ctx, q, body), opener=opener, closer=False)
        action = "dm"
    elif long_thread:
        # one early attempt at most, then hand-offs and holding replies until the final answer
        r = rng.random()
        if ctx.solves == 0 and ctx.pair is not None:
            body, action = _solve_body(ctx, q), "solve"
        elif _unused(ctx, scenario.step) and (not ctx.pending_update or r < 0.5):
            if rng.random() < 0.3 and scenario.notes:
                _note(ctx, ctx.say_fresh(scenario.notes) or ctx.say(ph.generic_notes))
            body, action = ctx.say(scenario.step), "step"
        else:
            body, action = ctx.say_fresh(ph.holding), "step"
        if action == "step":
            ctx.pending_update = True
        else:
            ctx.solves += 1
        apology = _apology(ctx, q, body) if ctx.trouble else ""
        _agent_message(ctx, q, body, action, apology=apology, opener=opener, closer=action == "solve")
    elif ctx.pending_update:
        body = ctx.say_fresh(scenario.update) or _solve_body(ctx, q) or ctx.say(ph.holding)
        _agent_message(ctx, q, body, "solve", apology=_apology(ctx, q, body) if ctx.trouble else "", opener=opener)
        ctx.pending_update = False
        ctx.solves += 1
        action = "solve"
    elif scenario.step and ctx.solves == 0 and ctx.pair is None and rng.random() < (0.15 if q == "exemplary" else 0.3):
        if rng.random() < 0.35 and scenario.notes:
            _note(ctx, ctx.say(scenario.notes))
        body = ctx.say(scenario.step)
        _agent_message(ctx, q, body, "step", apology=_apology(ctx, q, body), opener=opener)
        ctx.pending_update = True
        action = "step"
    else:
        written_for_it = ctx.pair is not None and ctx.solves == 0 and q == "exemplary"
        body = _solve_body(ctx, q)
        if not body:  # every answer has been tried: hand it on instead of repeating one
            body = ctx.say_fresh(scenario.step) or ctx.say(ph.holding)
            _agent_message(ctx, q, body, "step", apology=_apology(ctx, q, body), opener=opener)
            ctx.pending_update = True
            ctx.qualities.append(q)
            return "step"
        if rng.random() < 0.12 and scenario.notes and ctx.solves == 0:
            _note(ctx, ctx.say(scenario.notes))
        apology = "" if written_for_it else _apology(ctx, q, body)
        _agent_message(ctx, q, body, "solve", apology=apology, opener=opener)
        ctx.solves += 1
        action = "solve"
    ctx.qualities.append(q)
    return action


# --------------------------------------------------------------------------- customer turns


def _answered_fast(ctx: Ctx) -> bool:
    """Whether the last agent answer came within two hours of the customer message before it."""
    last_agent = last_customer = None
    for msg in ctx.messages:
        if msg["role"] == "customer" and not msg["is_automated"]:
            last_customer = msg["sent_at"]
        elif msg["role"] == "agent" and not msg["is_internal"] and not msg["is_automated"]:
            last_agent = (msg["sent_at"], last_customer)
    return last_agent is not None and last_agent[1] is not None and last_agent[0] - last_agent[1] < timedelta(hours=2)


def _thanks(ctx: Ctx) -> None:
    ph, scenario, rng = ctx.ph, ctx.scenario, ctx.rng
    r = rng.random()
    if ctx.escalation == "done" and ctx.agent.lead and r < 0.6:
        ctx.wait_customer()
        text = ctx.say(ph.lead_thanks)
    elif ctx.anger >= 2 or ctx.customer_turns >= 5 or ctx.pushbacks >= 2:
        ctx.wait_customer()
        text = ctx.say(ph.grudging_thanks)
    elif scenario.later and ctx.channel != "chat" and r < 0.3:
        # these tell how it turned out, so they come a day or two later
        ctx.wait_customer(extra_hours=rng.uniform(18, 60))
        text = ctx.say(scenario.later)
    elif scenario.thanks and r < 0.6:
        ctx.wait_customer()
        text = ctx.say(scenario.thanks)
    else:
        ctx.wait_customer()
        fast = _answered_fast(ctx)
        pool = tuple(t for t in ph.thanks if fast or not any(w in t for w in ("quick", "snel")))
        text = ctx.say(pool)
    _customer_message(ctx, text, "thanks")
    ctx.outcome = "resolved"


def _leave(ctx: Ctx) -> None:
    pool = ctx.scenario.angry if ctx.scenario.angry and ctx.rng.random() < 0.4 else ctx.ph.leave
    _customer_message(ctx, ctx.say(pool), "leave")
    ctx.outcome = "left"
    ctx.tags.add("complaint")


def _pushback(ctx: Ctx) -> None:
    pool = ctx.scenario.pushback if _unused(ctx, ctx.scenario.pushback) and ctx.rng.random() < 0.7 else ()
    _customer_message(ctx, ctx.say(pool or ctx.ph.pushback), "pushback")
    ctx.trouble = True
    ctx.pushbacks += 1


def _customer_turn(ctx: Ctx, action: str) -> bool:
    """Write the customer's reaction to ``action``; False when the conversation ends."""
    rng, ph, scenario = ctx.rng, ctx.ph, ctx.scenario
    long_thread = bool(ctx.saga) and ctx.customer_turns < ctx.saga - 1
    info = ctx.slots.get(scenario.info_slot or "", "")

    if action in ("ask", "dm", "poor:dm", "poor:ask_again"):
        if action.startswith("poor"):
            ctx.anger += 1
        if ctx.channel == "twitter" and ctx.public:
            if action == "poor:dm" and rng.random() < 0.3:
                ctx.wait_customer()
                _customer_message(ctx, ctx.say(ph.restate), "restate")
                return ctx.anger < ctx.patience
            ctx.public = False
        if rng.random() < 0.07 and not long_thread:
            ctx.outcome = "waiting"
            return False
        ctx.wait_customer()
        if ctx.info_given and info and action != "dm":
            _customer_message(ctx, ph.repeat[rng.randrange(len(ph.repeat))].format(info=info), "repeat")
            ctx.anger += 1
        elif scenario.provide:
            _customer_message(ctx, ctx.say(scenario.provide), "provide")
        else:
            _customer_message(ctx, ctx.say(ph.restate), "restate")
        ctx.info_given = True
        return True

    if action.startswith("poor") or action == "refused":
        ctx.anger += 2 if action in ("poor:blame", "poor:curt", "refused") else 1
        ctx.trouble = True
        ctx.wait_customer()
        if action == "refused" or ctx.anger >= ctx.patience + 2:
            _leave(ctx)
            return False
        if ctx.anger >= ctx.patience:
            if ctx.escalation == "" and ph.lang == "en" and rng.random() < 0.6:
                _customer_message(ctx, ctx.say(ph.escalate), "escalate")
                ctx.escalation = "asked"
                return True
            if not long_thread:
                _leave(ctx)
                return False
        if not ctx.info_given and scenario.provide and rng.random() < 0.6:
            _customer_message(ctx, ctx.say(scenario.provide), "provide")
            ctx.info_given = True
            return True
        _customer_message(ctx, ctx.say(ph.restate if rng.random() < 0.6 else ph.chase), "restate")
        return True

    if action == "step":
        if ctx.channel == "chat":
            if rng.random() < 0.7:
                ctx.wait_customer()
                _customer_message(ctx, ctx.say(ph.chat_step_ack), "ack")
            return True
        if long_thread or rng.random() < 0.45:
            ctx.t = _awake(rng, ctx.t + timedelta(hours=_between(rng, 6, 70)))
            _customer_message(ctx, ctx.say(ph.chase), "chase")
            ctx.trouble = True
        return True

    # a solution (or an update that solves)
    if long_thread:
        ctx.wait_customer()
        _pushback(ctx)
        return True
    r = rng.random()
    settled = ctx.escalation == "done" and ctx.agent.lead
    if r < 0.15 and ctx.pushbacks < 2 and ctx.customer_turns < 12 and not settled:
        ctx.wait_customer()
        _pushback(ctx)
        return True
    if r < 0.78:
        _thanks(ctx)
        if rng.random() < 0.45:
            ctx.wait_agent()
            text = ctx.fill(ctx.pick(ctx.style.after_thanks))
            if ctx.channel == "twitter":
                text = _sign_social(ctx, text)
            raw = f"{text}\n\n{ctx.style.signoff}" if ctx.emailish else None
            ctx.add("agent", text, "closer", raw=raw)
        return False
    ctx.outcome = "resolved"
    return False


# --------------------------------------------------------------------------- phone


def _phone(ctx: Ctx) -> None:
    rng, ph = ctx.rng, ctx.ph
    q = ctx.quality()
    ctx.t = _snap(rng, ctx.t + timedelta(minutes=_between(rng, 15, 400) * ctx.agent.speed), "office")
    if q == "poor":
        ctx.add("agent", ctx.fill(ctx.pick(ph.phone_notes_poor)), "note", internal=True)
        ctx.qualities.append("poor")
        ctx.t += timedelta(minutes=rng.randint(1, 20))
        _agent_message(ctx, "poor", ctx.say(ph.poor_generic), "poor", closer=False)
        ctx.outcome = "open"
        return
    ctx.add("agent", ctx.fill(ctx.pick(ph.phone_notes)), "note", internal=True)
    ctx.t += timedelta(minutes=rng.randint(3, 40))
    body = _solve_body(ctx, q)
    _agent_message(ctx, q, body, "solve", opener=ctx.pick(ph.phone_followup))
    ctx.qualities.append(q)
    ctx.solves += 1
    if rng.random() < 0.5:
        _thanks(ctx)
    else:
        ctx.outcome = "resolved"


# --------------------------------------------------------------------------- assembling


def _pick_agent(rng: Random, plan: Plan) -> Agent:
    scenario = plan.scenario
    if scenario.language == "nl":
        candidates = [a for a in DUTCH_AGENTS if a.team == scenario.team]
    else:
        candidates = [a for a in AGENTS if a.team == scenario.team]
    weights = [a.weight_for(plan.channel) for a in candidates]
    return rng.choices(candidates, weights=weights)[0]


def _saga_length(rng: Random, plan: Plan, agent: Agent) -> int:
    if plan.channel not in ("email", "twitter", "web_form") or plan.scenario.saga == 0:
        return 0
    base = 0.05 + 0.14 * agent.skill_in_week(plan.week)[2]
    if rng.random() < base * plan.scenario.saga * 2.0:
        return rng.randint(6, 15)
    return 0


def _status(ctx: Ctx) -> str:
    visible = [(m, k) for m, k in zip(ctx.messages, ctx.kinds, strict=True) if k != "note"]
    last, kind = visible[-1]
    if ctx.outcome == "resolved" and kind in ("thanks", "solve", "closer", "bot_done"):
        return "solved"
    if ctx.outcome == "left":
        return "solved" if ctx.rng.random() < 0.5 else "open"
    if last["role"] == "customer":
        return "open"
    if kind == "ask":
        return "pending"
    if kind in ("solve", "closer"):
        return "solved"
    return "open"


def _satisfaction(ctx: Ctx, status: str) -> dict[str, Any] | None:
    rng = ctx.rng
    if ctx.channel not in ("email", "chat", "web_form") or not ctx.qualities:
        return None
    # customers rate a finished case; an unresolved one gets rated only when they left angry
    chance = 0.42 if status == "solved" else 0.5 if ctx.outcome == "left" else 0.0
    if rng.random() >= chance:
        return None
    mean = sum(_QUALITY_SCORE[q] for q in ctx.qualities) / len(ctx.qualities)
    score = mean - 0.35 * ctx.anger - (0.8 if ctx.outcome == "left" else 0) - 0.08 * ctx.customer_turns
    score = round(min(5, max(1, score + rng.uniform(-0.7, 0.7))))
    out: dict[str, Any] = {"score": score, "scale": "1-5"}
    if rng.random() < 0.55:
        pool = ctx.ph.csat_good if score >= 4 else ctx.ph.csat_mid if score == 3 else ctx.ph.csat_bad
        out["comment"] = rng.choice(pool).format(agent=ctx.agent.first)
    return out


def _build(
    rng: Random,
    plan: Plan,
    number: int,
    decks: dict[tuple[str, str], list[int]],
    customer_numbers: Iterator[int],
    end: datetime,
) -> ConversationIn:
    scenario = plan.scenario
    ph = PHRASES[scenario.language]
    agent = _pick_agent(rng, plan)
    if plan.customer.id is None:
        plan.customer.id = f"cus_{next(customer_numbers):04d}"
    slots = make_slots(rng, scenario, plan.customer, plan.created, ph)
    slots.update(agent=agent.first, team=agent.team, lead=LEADS[agent.team].first)
    ctx = Ctx(rng=rng, plan=plan, ph=ph, agent=agent, slots=slots, t=plan.created, spike=plan.week in SPIKE_WEEKS)
    assignee = agent
    ctx.base_quality = rng.choices(QUALITIES, weights=agent.skill_in_week(plan.week))[0]
    ctx.saga = _saga_length(rng, plan, agent)
    ctx.patience = 6 if ctx.saga else rng.randint(2, 4)
    if scenario.key == "security_report":
        ctx.base_quality = "exemplary"

    if _open(ctx, decks):
        if plan.channel == "phone":
            _phone(ctx)
        else:
            if plan.channel == "chat":
                pre = ctx.t
                ctx.wait_agent(first=True)
                if ctx.t - pre > timedelta(seconds=150) and rng.random() < 0.6:
                    nudge_at = ctx.t
                    ctx.t = pre + (ctx.t - pre) / 2
                    _customer_message(ctx, ctx.pick(ph.chat_nudges), "nudge")
                    ctx.t = nudge_at
            else:
                ctx.wait_agent(first=True)
            while True:
                action = _agent_turn(ctx)
                if not _customer_turn(ctx, action):
                    break
                if ctx.customer_turns >= 15 and ctx.escalation != "asked":
                    ctx.wait_agent()
                    _agent_turn(ctx)
                    break
                if action == "step" and ctx.last_customer not in ("chase", "pushback"):
                    ctx.wait_agent(later=True)
                else:
                    ctx.wait_agent()
            if ctx.outcome == "left" and rng.random() < 0.4:
                _note(ctx, ctx.say(ph.after_leave_notes))
        if plan.channel == "email" and ctx.messages[-1]["role"] == "agent" and rng.random() < 0.03:
            # the customer's own out-of-office answers the agent
            ctx.t = ctx.messages[-1]["sent_at"] + timedelta(seconds=rng.randint(5, 90))
            ctx.add("customer", ctx.fill(rng.choice(ph.out_of_office)), "ooo", automated=True)

    # drop what would happen after the end of the window: recent conversations are still open
    keep = [i for i, m in enumerate(ctx.messages) if m["sent_at"] <= end]
    if len(keep) < len(ctx.messages):
        cut = keep[-1] + 1
        del ctx.messages[cut:], ctx.kinds[cut:]
        ctx.outcome = ""
    status = _status(ctx)
    last_at = max(m["sent_at"] for m in ctx.messages)
    closed_at = None
    if status == "solved":
        closed_at = min(last_at + timedelta(minutes=_between(rng, 5, 1800)), end)
    tags = [*scenario.tags, *sorted(ctx.tags)]
    if ctx.spike and "delivery" in scenario.tags:
        tags.append("courier-delay")
    if rng.random() < 0.04:
        tags.append("vip")
    subject = ctx.fill(rng.choice(scenario.subjects)) if plan.channel in ("email", "web_form", "phone") else None
    record = {
        "id": f"demo-{number:04d}",
        "source": "demo",
        "channel": plan.channel,
        "subject": subject,
        "created_at": min(m["sent_at"] for m in ctx.messages),
        "closed_at": closed_at,
        "status": status,
        "tags": tags,
        "customer": {"id": plan.customer.id, "name": plan.customer.name},
        "assignee": {"id": assignee.id, "name": assignee.name},
        "team": assignee.team,
        "satisfaction": _satisfaction(ctx, status),
        "language": scenario.language,
        "messages": ctx.messages,
    }
    return ConversationIn.model_validate(record)


def _drop_some_times(rng: Random, convs: list[ConversationIn]) -> None:
    """A handful of social messages lose their timestamp, as they do in real exports."""
    candidates = [c for c in convs if c.channel == "social" and len(c.messages) >= 4]
    for conv in rng.sample(candidates, min(N_NULL_TIMES, len(candidates))):
        index = rng.randrange(2, len(conv.messages))
        conv.messages[index].sent_at = None


def generate_demo(*, seed: int = 7, start: date | None = None) -> list[ConversationIn]:
    """The demo corpus: ~360 conversations over the 12 weeks from ``start``.

    ``start`` defaults to the Monday 12 weeks before ``DEFAULT_END`` (2026-08-24 .. 2026-11-15), so
    the same seed gives the same corpus on every run.
    """
    rng = Random(seed)
    if start is None:
        start = DEFAULT_END - timedelta(days=WEEKS * 7 - 1)
    end = datetime.combine(start + timedelta(days=WEEKS * 7 - 1), time(23, 59, 59), tzinfo=UTC)
    plans = _make_plans(rng, start)
    decks: dict[tuple[str, str], list[int]] = {}
    numbers = itertools.count(1)
    convs = [_build(rng, plan, n, decks, numbers, end) for n, plan in enumerate(plans, start=1)]
    _drop_some_times(rng, convs)
    return convs
