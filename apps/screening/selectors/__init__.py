"""Selectors of the screening app (reads beyond a key lookup), one module per area."""
