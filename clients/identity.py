"""Identity numbers: check digits, masking, and the digits search may use."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CARD_CHECK = "10X98765432"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_card_valid(number: str) -> bool:
    """GB 11643 resident ID: 17 digits and a mod-11 check character."""
    number = number.upper()
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_CARD_WEIGHTS, strict=True))
    return ID_CARD_CHECK[total % 11] == number[17]


def uscc_valid(code: str) -> bool:
    """GB 32100 unified social credit code: 18 characters and a mod-31 check character."""
    code = code.upper()
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


def id_card_with_check(first17: str) -> str:
    """Complete 17 digits with their check character (used by demo data and tests)."""
    total = sum(int(d) * w for d, w in zip(first17, ID_CARD_WEIGHTS, strict=True))
    return first17 + ID_CARD_CHECK[total % 11]


def uscc_with_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


def mask_id_number(number: str) -> str:
    """`110101********1234` for an 18-character ID or credit code (the region prefix and the last four);
    shorter numbers (passports, permits, licences) keep only a tail of at most two fifths: `******678`."""
    if not number:
        return ""
    if len(number) >= 15:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    keep = min(4, len(number) * 2 // 5)
    return "*" * (len(number) - keep) + number[len(number) - keep:]


def mask_phone(phone: str) -> str:
    """`138****5678`: enough to confirm a caller, not enough to copy."""
    if not phone or len(phone) < 7:
        return phone
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def normalise_phone(raw: str) -> str:
    """Digits only, without the +86/0086 country prefix."""
    digits = "".join(c for c in (raw or "") if c.isdigit())
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix):]
    return digits


def validate_id_number(id_type: str, number: str) -> str:
    """The number normalised (upper case, trimmed); a ValidationError on `id_number` if its check digit is wrong.

    Only the two Chinese formats carry a check digit; other documents only need to be present.
    """
    from .choices import IdType

    number = (number or "").strip().upper()
    if number and id_type == IdType.ID_CARD and not id_card_valid(number):
        raise ValidationError({"id_number": ValidationError(
            _("This is not a valid resident ID number: 18 characters whose last one is the check digit."),
            code="id_card")})
    if number and id_type == IdType.BUSINESS_LICENSE and not uscc_valid(number):
        raise ValidationError({"id_number": ValidationError(
            _("This is not a valid unified social credit code: 18 characters whose last one is the check digit."),
            code="uscc")})
    return number
