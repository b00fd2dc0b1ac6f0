"""Management information: counts, ageing against service levels and trends for compliance managers (docs/mi.md)."""
