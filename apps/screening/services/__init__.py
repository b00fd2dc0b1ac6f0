"""Services of the screening app (every write), one module per area."""
