"""Service-desk reads other apps use (the nightly churn signal reads overdue complaints)."""

from .choices import OPEN_TICKET_STATUSES, TicketType
from .models import Ticket


def overdue_complaint_client_ids(*, at):
    """Ids of clients with an open complaint whose deadline is before `at`."""
    return (
        Ticket.objects.filter(ticket_type=TicketType.COMPLAINT, status__in=OPEN_TICKET_STATUSES, deadline__lt=at,
                              client__isnull=False)
        .values_list("client_id", flat=True)
        .distinct()
    )
