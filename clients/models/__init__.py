from .archive import Branch, Client, ContactLog, StaffProfile, SuitabilityAssessment
from .imports import ImportBatch, QuarantinedRow, SettlementAlert
from .products import EligibilityRecord, Product, SuitabilityAlert
from .settlement import AccountSettlement, ContractSettlement

__all__ = [
    "AccountSettlement",
    "Branch",
    "Client",
    "ContactLog",
    "ContractSettlement",
    "EligibilityRecord",
    "ImportBatch",
    "Product",
    "QuarantinedRow",
    "SettlementAlert",
    "StaffProfile",
    "SuitabilityAlert",
    "SuitabilityAssessment",
]
