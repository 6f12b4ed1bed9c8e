from .archive import Branch, Client, ContactLog, StaffProfile, SuitabilityAssessment
from .settlement import AccountSettlement, ContractSettlement

__all__ = [
    "AccountSettlement",
    "Branch",
    "Client",
    "ContactLog",
    "ContractSettlement",
    "StaffProfile",
    "SuitabilityAssessment",
]
