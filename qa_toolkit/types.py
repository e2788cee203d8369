"""Small shared vocabularies: message roles and conversation channels, with their synonyms."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who wrote a message."""

    customer = "customer"
    agent = "agent"
    bot = "bot"
    system = "system"


class Channel(StrEnum):
    """Normalised channel names; any other string is kept as given (lower-cased)."""

    email = "email"
    chat = "chat"
    messaging = "messaging"
    social = "social"
    phone = "phone"
    web_form = "web_form"
    other = "other"


ROLE_SYNONYMS: dict[str, Role] = {}
for _role, _names in {
    Role.customer: "customer user end-user end_user enduser contact lead visitor requester inbound incoming "
    "client cust consumer guest member klant kunde klantin kundin",
    Role.agent: "agent admin teammate staff operator support rep representative outbound outgoing "
    "employee advisor assignee responder team medewerker mitarbeiter mitarbeiterin conseiller conseillere",
    Role.bot: "bot ai assistant fin answer_bot answerbot automation virtual_agent chatbot ai_agent",
    Role.system: "system event lineitem activity note_system",
}.items():
    for _n in _names.split():
        ROLE_SYNONYMS[_n] = _role

CHANNEL_SYNONYMS: dict[str, Channel] = {}
for _channel, _names in {
    Channel.email: "email e-mail mail outbound_email outbound-email imap smtp",
    Channel.chat: "chat live_chat livechat webchat web_chat zopim_chat",
    Channel.messaging: "messaging native_messaging whatsapp sms mobile_sdk sdk in_app in-app messenger "
    "telegram line wechat imessage apple_business_chat",
    Channel.social: "social twitter tweet x facebook instagram fb social_media linkedin tiktok "
    "youtube twitter_dm facebook_messenger",
    Channel.phone: "phone voice call telephone",
    Channel.web_form: "web_form web form webform portal contact_form web_widget feedback_widget",
    Channel.other: "other api web_service unknown",
}.items():
    for _n in _names.split():
        CHANNEL_SYNONYMS[_n] = _channel


def normalise_role(value: str) -> Role | None:
    """Map a role name or synonym to a Role; None when it is not recognised."""
    return ROLE_SYNONYMS.get(value.strip().lower().replace(" ", "_"))


def normalise_channel(value: str | None) -> str:
    """Map a channel name to its normalised form; unknown names are kept, lower-cased."""
    if value is None or not str(value).strip():
        return Channel.other.value
    key = str(value).strip().lower().replace(" ", "_")
    known = CHANNEL_SYNONYMS.get(key) or CHANNEL_SYNONYMS.get(key.replace("-", "_"))
    return known.value if known else key
