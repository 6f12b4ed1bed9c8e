"""Referrals, intermediaries, account-manager assignment (the relationships issue)."""
