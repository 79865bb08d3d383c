"""Read a TwiML document the way Twilio does, refusing one Twilio would refuse.

``check_twiml(xml)`` raises ``InvalidTwiml`` with a reason a developer can act on (not XML, the
root is not ``<Response>``, an unknown verb, a noun in the wrong parent, an unknown attribute,
a bad value); ``parse_twiml(xml)`` returns the checked document as a tree the call player walks.
The rules themselves live in ``twiml_rules.py``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from typing import Mapping, Optional

from devtools.fake_twilio.twiml_rules import RULES, SSML_FREE_ATTRIBUTES, TEXT_CHECKS, UNSUPPORTED_VERBS


class InvalidTwiml(ValueError):
    """Twilio would not play this document (its Debugger reports error 12100 or 12200)."""


@dataclass(frozen=True)
class Element:
    """One verb or noun: its attributes, its own text (stripped) and its children."""

    name: str
    attributes: Mapping[str, str]
    text: str
    children: tuple["Element", ...] = ()

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        return self.attributes.get(name, default)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.attributes.get(name)
        return default if value is None else value == "true"

    def spoken(self) -> str:
        """The text a ``<Say>`` speaks, SSML tags dropped (its ``text``, kept for readability)."""
        return self.text

    def child(self, name: str) -> Optional["Element"]:
        return next((c for c in self.children if c.name == name), None)


@dataclass(frozen=True)
class Document:
    """A checked ``<Response>``: its verbs in order."""

    verbs: tuple[Element, ...]


def check_twiml(xml: str) -> None:
    """Raise ``InvalidTwiml`` unless Twilio would play ``xml``."""
    parse_twiml(xml)


def parse_twiml(xml: str) -> Document:
    try:
        root = ElementTree.fromstring(xml.strip())
    except ElementTree.ParseError as problem:
        raise InvalidTwiml(f"the document is not well-formed XML ({problem}); Twilio answers error 12100") from None
    if root.tag != "Response":
        raise InvalidTwiml(f"the root element is <{root.tag}>, but TwiML must start with <Response>")
    if root.attrib:
        raise InvalidTwiml(f"<Response> takes no attributes, got {', '.join(sorted(root.attrib))}")
    if (root.text or "").strip():
        raise InvalidTwiml(f"<Response> holds text {root.text.strip()!r} outside any verb")
    verbs = tuple(_element(child, "Response", f"<Response> verb {n}") for n, child in enumerate(root, 1))
    _check_order(verbs)
    return Document(verbs)


def _element(node: ElementTree.Element, parent: str, where: str) -> Element:
    name = node.tag
    if name in UNSUPPORTED_VERBS:
        raise InvalidTwiml(f"{where}: <{name}> is TwiML the fake Twilio does not play; use <Dial><Conference> to "
                           f"hold callers, or extend devtools/fake_twilio")
    rule = RULES.get(name)
    if rule is None:
        kind = "unknown verb" if parent == "Response" else "unknown element"
        raise InvalidTwiml(f"{where}: {kind} <{name}> (TwiML names are case-sensitive: <Say>, <Gather>, <Dial>...)")
    if name not in RULES[parent].children:
        allowed = ", ".join(f"<{c}>" for c in RULES[parent].children) or "no elements"
        raise InvalidTwiml(f"{where}: <{name}> is not allowed inside <{parent}> (it takes {allowed})")
    _check_attributes(node, name, where)
    text = (node.text or "").strip()
    if rule.text == "none" and text:
        raise InvalidTwiml(f"{where}: <{name}> takes no text, got {text!r}")
    children = tuple(_element(child, name, f"{where} <{name}>") for child in node)
    tails = [c.tail.strip() for c in node if c.tail and c.tail.strip()]
    speaks = name == "Say" or name in SSML_FREE_ATTRIBUTES
    if tails and not speaks:
        raise InvalidTwiml(f"{where}: <{name}> holds stray text {tails[0]!r} between its elements")
    if name == "Say":  # what is heard: all the text, SSML tags dropped, in reading order
        text = " ".join("".join(node.itertext()).split())
    element = Element(name, dict(node.attrib), text, children)
    _check_text(element, rule.text, where)
    return element


def _check_attributes(node: ElementTree.Element, name: str, where: str) -> None:
    if name in SSML_FREE_ATTRIBUTES:
        return
    rule = RULES[name]
    for attribute, value in node.attrib.items():
        known = rule.attributes.get(attribute)
        if known is None:
            allowed = ", ".join(sorted(rule.attributes)) or "none"
            raise InvalidTwiml(f"{where}: <{name}> has no attribute {attribute!r} (it takes: {allowed})")
        check, expected = known
        if not check(value):
            raise InvalidTwiml(f"{where}: <{name} {attribute}={value!r}> is not valid: expected {expected}")


def _check_text(element: Element, text_rule: str, where: str) -> None:
    name = element.name
    if name == "Say" and not element.spoken():
        raise InvalidTwiml(f"{where}: <Say> has nothing to say")
    if text_rule == "required" and name != "Say" and not element.text:
        raise InvalidTwiml(f"{where}: <{name}> needs text (" + TEXT_CHECKS.get(name, (None, "its value"))[1] + ")")
    if name in TEXT_CHECKS and element.text:
        check, expected = TEXT_CHECKS[name]
        if not check(element.text):
            raise InvalidTwiml(f"{where}: <{name}>{element.text}</{name}> is not valid: expected {expected}")
    if name == "Play" and not element.text and "digits" not in element.attributes:
        raise InvalidTwiml(f"{where}: <Play> needs the URL of the audio to play (or digits=...)")
    if name == "Dial":
        _check_dial(element, where)
    if name == "Client" and not element.text and element.child("Identity") is None:
        raise InvalidTwiml(f"{where}: <Client> needs an identity (its text or an <Identity>)")


def _check_dial(dial: Element, where: str) -> None:
    if dial.text and dial.children:
        raise InvalidTwiml(f"{where}: <Dial> holds both a number as text and nouns; use one <Number> per number")
    if not dial.text and not dial.children:
        raise InvalidTwiml(f"{where}: <Dial> dials nothing: give it a number, <Number>, <Conference>, <Client> "
                           f"or <Sip>")
    conferences = [c for c in dial.children if c.name == "Conference"]
    if conferences and len(dial.children) > 1:
        raise InvalidTwiml(f"{where}: <Dial> with a <Conference> can hold nothing else")
    if dial.text and not TEXT_CHECKS["Number"][0](dial.text):
        raise InvalidTwiml(f"{where}: <Dial>{dial.text}</Dial> is not a phone number")


def _check_order(verbs: tuple[Element, ...]) -> None:
    for position, verb in enumerate(verbs, 1):
        if verb.name == "Reject" and position != 1:
            raise InvalidTwiml(f"<Response> verb {position}: <Reject> must be the first verb of the document")
