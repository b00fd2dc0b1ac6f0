"""Signed webhooks to the Standard Webhooks specification (docs/webhooks.md)."""
