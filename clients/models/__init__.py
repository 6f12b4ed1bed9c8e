from .archive import Branch, Client, ContactLog, StaffProfile, SuitabilityAssessment
from .imports import ImportBatch, QuarantinedRow, SettlementAlert
from .settlement import AccountSettlement, ContractSettlement

__all__ = [
    "AccountSettlement",
    "Branch",
    "Client",
    "ContactLog",
    "ContractSettlement",
    "ImportBatch",
    "QuarantinedRow",
    "SettlementAlert",
    "StaffProfile",
    "SuitabilityAssessment",
]
