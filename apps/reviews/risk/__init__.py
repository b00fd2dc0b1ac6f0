"""The customer risk model: scoring (pure), inputs, versions and assessments (services)."""
