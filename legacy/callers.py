"""The v1 API's caller: a member of the workspace, signed in with a v1 token instead of a browser
session. Everything else (limits, budgets, metering, which conversations are theirs) is the
member's, so the v1 door and the staff page count against the same limits."""

from chat.callers import Code, MemberCaller, Refused
from legacy import access
from legacy.tokens import Claims
from tenants.models import Membership


class TokenCaller(MemberCaller):
    def __init__(self, membership: Membership, claims: Claims) -> None:
        super().__init__(membership, session_key=None)
        self.claims = claims

    def still_allowed(self) -> None:
        fresh = access.membership_in(self.claims, self.tenant.pk)
        if fresh is None:
            raise Refused("You no longer have access to this workspace.", Code.FORBIDDEN)
        self.membership, self.tenant = fresh, fresh.tenant
