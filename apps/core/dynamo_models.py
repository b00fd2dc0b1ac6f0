"""Platform tables of the core app.

``diagnostics``: one item per diagnostic ping sent through the broker.
Access: GetItem by ping id (the API polls it). No other pattern.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute

from apps.core.dynamo import CddModel, TableMeta


class DiagnosticPing(CddModel):
    class Meta(TableMeta):
        name = "diagnostics"

    ping_id = UnicodeAttribute(hash_key=True)
    sent_at = UTCDateTimeAttribute()
    sent_by = UnicodeAttribute()
    executed_at = UTCDateTimeAttribute(null=True)
    worker = UnicodeAttribute(null=True)
