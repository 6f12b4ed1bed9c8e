"""Tickets, tasks, care, prospects, campaigns, surveys (the service issue)."""
