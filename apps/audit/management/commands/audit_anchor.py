"""``manage.py audit_anchor``: write a checkpoint of every chain now (what beat does every few minutes)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.audit.anchors import audit_checkpoint_write


class Command(BaseCommand):
    help = ("Anchor every audit chain (last seq, hash, event id) in a new checkpoint in the Object Lock bucket, "
            "MACed with the audit key. Beat runs this every CDD_AUDIT_ANCHOR_MINUTES.")

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoint = audit_checkpoint_write()
        self.stdout.write(self.style.SUCCESS(
            f"Checkpoint {checkpoint.key}: {checkpoint.document['chain_count']} chains anchored."))
