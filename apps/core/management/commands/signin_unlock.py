"""Lift a sign-in lockout before it runs out, with the reason on the audit trail."""

from __future__ import annotations

import getpass
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.actors import Actor
from apps.core.signin import unlocking


class Command(BaseCommand):
    help = (
        "Lift the sign-in lockout of an account (--username) or an address (--address) before it runs out, "
        "and clear the failures counted against it. Each lifted lockout is audited (signin.unlocked, on the "
        "user's chain when the account exists, else on signin#username:<name> or signin#address:<ip>) with "
        "--reason. Check who is asking first: a lockout is what stops password guessing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="the account's username, as typed on the sign-in page")
        parser.add_argument("--address", help="the client address locked out (as the lockout event recorded it)")
        parser.add_argument("--reason", required=True, help="why it is lifted, for the audit trail")
        parser.add_argument("--actor", help="who lifts it (default: the operating-system user)")

    def handle(self, *args: Any, **options: Any) -> None:
        username, address, reason = options["username"], options["address"], options["reason"].strip()
        if not username and not address:
            raise CommandError("Say whose lockout to lift: --username NAME or --address IP (or both).")
        if not reason:
            raise CommandError("--reason: say why the lockout is lifted (it goes on the audit trail).")
        actor = Actor.system(f"manage.py signin_unlock ({options['actor'] or getpass.getuser()})")
        with unlocking(actor=actor, reason=reason):
            count = AxesProxyHandler.reset_attempts(username=username, ip_address=address)
        who = " and ".join(part for part in (f"account {username!r}" if username else "",
                                             f"address {address}" if address else "") if part)
        if not count:
            self.stdout.write(f"Nothing to lift: no failed sign-ins are counted against {who}.")
            return
        self.stdout.write(self.style.SUCCESS(
            f"Lifted: {count} counted sign-in failure record(s) of {who} cleared; recorded on the audit trail."))
