"""Accounts: users, API keys and the audit log (an svcforge example)."""
