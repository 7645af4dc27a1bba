"""A candidate's stored signals (mapping.matching.decision.signals_as_json) as reasons in the
dispatcher's words: what speaks for it and what against it, the decisive ones first.

The signals are read as they are stored; keys a newer matcher adds are ignored here until they
get words, and missing keys count as "not agreed"."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from customers.normalization import normalize_email


@dataclass(frozen=True)
class Reason:
    text: str
    speaks_for: bool
    # Lower is more decisive: the list is shown in this order.
    weight: int


def _on(signals: dict, key: str) -> bool:
    return bool(signals.get(key))


def _domain(email: str | None) -> str:
    email = normalize_email(email) or ""
    return email.rpartition("@")[2]


def _plain(name: str | None) -> str:
    return " ".join((name or "").casefold().replace("-", " ").split())


def candidate_reasons(
    *,
    signals: dict,
    incoming: dict | None = None,
    existing_email: str | None = None,
    existing_name: str | None = None,
) -> list[Reason]:
    """Reasons for and against one candidate. `incoming` is the item's customer block (to tell
    a missing e-mail from a different one, and the same name from one that differs only in
    legal form); `existing_email` and `existing_name` the candidate's."""
    s = signals or {}
    incoming = incoming or {}
    reasons: list[Reason] = []

    def add(text, speaks_for: bool, weight: int) -> None:
        reasons.append(Reason(str(text), speaks_for, weight))

    if _on(s, "chainBranch"):
        sites = int(s.get("chainLocations") or 0)
        add(
            ngettext_lazy(
                "A new site of a chain with %(n)d site",
                "A new site of a chain with %(n)d sites",
                sites,
            )
            % {"n": sites},
            True,
            5,
        )
    if _on(s, "sameAddress"):
        add(_("Same address"), True, 10)
    if _on(s, "email"):
        add(_("Same e-mail address"), True, 11)
    if _on(s, "phone"):
        add(_("Same phone number"), True, 12)
    name = float(s.get("name") or 0.0)
    if _on(s, "exactName") and (
        existing_name is None or _plain(incoming.get("name")) == _plain(existing_name)
    ):
        add(_("Same name"), True, 20)
    elif _on(s, "exactName"):
        add(_("Name matches except legal form"), True, 20)
    elif _on(s, "nameAgrees"):
        add(_("Name matches except legal form or spelling"), True, 21)
    elif name >= 0.5:
        add(_("Similar name (%(percent)d %%)") % {"percent": round(name * 100)}, True, 40)
    else:
        add(_("Different name"), False, 15)
    if _on(s, "emailDomain") and not _on(s, "email"):
        add(_("E-mail domain matches"), True, 30)
    if not _on(s, "sameAddress"):
        if _on(s, "sameStreet"):
            add(_("Same street"), True, 31)
        elif _on(s, "samePlace"):
            add(_("Same postal code or city"), True, 35)
    # Against: only what was compared on both sides.
    if _on(s, "addressCompared") and not _on(s, "samePlace"):
        add(_("Different place (postal code and city)"), False, 16)
    elif _on(s, "streetCompared") and not _on(s, "sameStreet"):
        add(_("Different street"), False, 17)
    elif _on(s, "sameStreet") and not _on(s, "houseNumber"):
        add(_("Different house number"), False, 18)
    sent_email = incoming.get("email")
    if sent_email and existing_email and not _on(s, "email"):
        if _domain(sent_email) and _domain(sent_email) == _domain(existing_email):
            if not _on(s, "emailDomain"):
                add(_("E-mail domain matches"), True, 30)
        else:
            add(_("Different e-mail address"), False, 19)
    return sorted(reasons, key=lambda r: (not r.speaks_for, r.weight))
