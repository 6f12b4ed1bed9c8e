"""Enumerations of the client archive; codes are the back-office format's English codes."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ClientType(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    INSTITUTION = "institution", _("Institution")
    SPOT_ENTERPRISE = "spot_enterprise", _("Spot enterprise")
    FINANCIAL_INSTITUTION = "financial_institution", _("Financial institution")


class IdType(models.TextChoices):
    ID_CARD = "id_card", _("Resident ID card")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_PERMIT = "hk_macao_permit", _("Hong Kong/Macao resident permit")
    TAIWAN_PERMIT = "taiwan_permit", _("Taiwan resident permit")
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident", _("Foreign permanent resident ID")
    BUSINESS_LICENSE = "business_license", _("Business licence (USCC)")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class AccountStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("account status", "Active")
    DORMANT = "dormant", _("Dormant")
    CLOSED = "closed", pgettext_lazy("account status", "Closed")


class Channel(models.TextChoices):
    STAFF = "staff", _("Staff development")
    MARKETING = "marketing", _("Marketing department")
    REFERRAL = "referral", _("Client referral")
    RESEARCH = "research", _("Research-led")
    INTERMEDIARY = "intermediary", _("Intermediary")
    ONLINE = "online", _("Walk-in / online")


class InvestorClass(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary investor")
    PROFESSIONAL = "professional", _("Professional investor")


class RiskLevel(models.TextChoices):
    C1 = "C1", "C1"
    C2 = "C2", "C2"
    C3 = "C3", "C3"
    C4 = "C4", "C4"
    C5 = "C5", "C5"


class ChurnReason(models.TextChoices):
    DROPPED = "dropped", _("Inevitable: deliberately dropped")
    POACHED = "poached", _("Inevitable: poached by a competitor")
    FORCED = "forced", _("Inevitable: forced to leave")
    LEFT = "left", _("Accidental: left on their own")
    LOSSES = "losses", _("Accidental: losing client")
    ATTRACTED = "attracted", _("Accidental: attracted by another firm")
    TAKEN_AWAY = "taken_away", _("Accidental: taken away by a departing employee or intermediary")


class ChurnKind(models.TextChoices):
    """The seed's two kinds of churn: the firm chose or could not prevent it, or it could have kept the client."""

    INEVITABLE = "inevitable", _("Inevitable churn")
    ACCIDENTAL = "accidental", _("Accidental churn")


CHURN_REASON_KIND = {
    ChurnReason.DROPPED: ChurnKind.INEVITABLE, ChurnReason.POACHED: ChurnKind.INEVITABLE,
    ChurnReason.FORCED: ChurnKind.INEVITABLE, ChurnReason.LEFT: ChurnKind.ACCIDENTAL,
    ChurnReason.LOSSES: ChurnKind.ACCIDENTAL, ChurnReason.ATTRACTED: ChurnKind.ACCIDENTAL,
    ChurnReason.TAKEN_AWAY: ChurnKind.ACCIDENTAL,
}


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    WEB = "web", _("Web")
    FACE_TO_FACE = "face_to_face", _("Face to face")


class Exchange(models.TextChoices):
    SHFE = "SHFE", _("Shanghai Futures Exchange")
    DCE = "DCE", _("Dalian Commodity Exchange")
    CZCE = "CZCE", _("Zhengzhou Commodity Exchange")
    CFFEX = "CFFEX", _("China Financial Futures Exchange")
    INE = "INE", _("Shanghai International Energy Exchange")
    GFEX = "GFEX", _("Guangzhou Futures Exchange")


class HedgeFlag(models.TextChoices):
    SPECULATION = "speculation", _("Speculation")
    ARBITRAGE = "arbitrage", _("Arbitrage")
    HEDGE = "hedge", _("Hedge")


class ProductRiskLevel(models.TextChoices):
    """A product's risk level (产品风险等级); a client of level Cn may trade products up to Rn."""

    R1 = "R1", "R1"
    R2 = "R2", "R2"
    R3 = "R3", "R3"
    R4 = "R4", "R4"
    R5 = "R5", "R5"


class ProductClass(models.TextChoices):
    COMMODITY_FUTURE = "commodity_future", _("Commodity future")
    FINANCIAL_FUTURE = "financial_future", _("Financial future")
    OPTION = "option", _("Option")


class SuitabilityAlertKind(models.TextChoices):
    LEVEL = "level", pgettext_lazy("suitability alert", "Above the client's level")
    ELIGIBILITY = "eligibility", pgettext_lazy("suitability alert", "Exchange eligibility not met")


class EligibilityKind(models.TextChoices):
    """The evidence an exchange's eligibility rule (准入) asks for, recorded on the client."""

    FUNDS = "funds", _("Available funds verified")
    KNOWLEDGE_TEST = "knowledge_test", _("Knowledge test")
    SIMULATED_TRADING = "simulated_trading", _("Simulated-trading experience")


class SuitabilityAlertStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("suitability alert", "Open")
    RESOLVED = "resolved", pgettext_lazy("suitability alert", "Resolved")
