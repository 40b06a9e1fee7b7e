import hmac
import secrets
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)  # None gives an unusable password: login is by email code
        user.save(using=self._db)
        return user

    def for_email(self, email: str) -> "User":
        """The user with this email, created on first sign-in (with no usable password)."""
        user, _ = self.get_or_create(
            email=self.normalize_email(email).lower(), defaults={"password": make_password(None)}
        )
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, identified by email. Staff sign in by emailed code; admins may also have a password."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Bumped by "log out of all sessions": it is part of the session auth hash, so every
    # session signed in before the bump stops verifying (HTTP and WebSocket alike).
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self) -> str:
        return self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    def get_session_auth_hash(self) -> str:
        return self._with_generation(super().get_session_auth_hash())

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for fallback in super().get_session_auth_fallback_hash():
            yield self._with_generation(fallback)

    def _with_generation(self, session_hash: str) -> str:
        # Generation 0 keeps Django's own hash, so sessions from before this field still verify.
        if not self.session_generation:
            return session_hash
        value = f"{session_hash}:{self.session_generation}"
        return salted_hmac("accounts.User.session", value, algorithm="sha256").hexdigest()


def hash_code(email: str, code: str) -> str:
    """HMAC of the code bound to the email, keyed by SECRET_KEY: a stolen table reveals nothing."""
    return salted_hmac("accounts.LoginCode", f"{email}:{code}", algorithm="sha256").hexdigest()


class LoginCode(models.Model):
    """A 6-digit sign-in code. Stored hashed; expires, works once, dies after too many wrong tries."""

    email = models.EmailField()
    code_hash = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The verify step: the newest live code for an email.
            models.Index(fields=["email", "-created"], name="logincode_email_created"),
        ]

    def __str__(self) -> str:
        return f"code for {self.email} at {self.created:%Y-%m-%d %H:%M}"

    @classmethod
    def issue(cls, email: str) -> tuple["LoginCode", str]:
        """Create a fresh code for `email`, retiring any earlier ones, and return it with its plain text."""
        code = f"{secrets.randbelow(1_000_000):06d}"
        now = timezone.now()
        cls.objects.filter(email=email, used__isnull=True).update(used=now)
        ttl = timedelta(minutes=settings.LOGIN_CODE_TTL_MINUTES)
        login_code = cls.objects.create(
            email=email, code_hash=hash_code(email, code), created=now, expires=now + ttl
        )
        return login_code, code

    def matches(self, code: str) -> bool:
        return hmac.compare_digest(self.code_hash, hash_code(self.email, code))


class CodeCheck(models.TextChoices):
    OK = "ok", "Signed in"
    WRONG = "wrong", "That code is not right. Check the email and try again."
    EXPIRED = "expired", "That code has expired. Ask for a new one."
    LOCKED = "locked", "Too many wrong tries. Ask for a new code."


def check_code(email: str, code: str) -> CodeCheck:
    """Check `code` against the newest code for `email`, consuming it on success.

    1. Lock the newest unused code row, so two parallel guesses cannot both count as one.
    2. Refuse it if expired or out of attempts.
    3. On a wrong guess, count the attempt; on a right one, mark it used.
    """
    from django.db import transaction

    with transaction.atomic():
        login_code = (
            LoginCode.objects.select_for_update()
            .filter(email=email, used__isnull=True)
            .order_by("-created")
            .first()
        )
        if login_code is None:
            return CodeCheck.EXPIRED
        if login_code.attempts >= settings.LOGIN_CODE_MAX_ATTEMPTS:
            return CodeCheck.LOCKED
        if login_code.expires <= timezone.now():
            return CodeCheck.EXPIRED
        if not login_code.matches(code):
            login_code.attempts += 1
            login_code.save(update_fields=["attempts"])
            if login_code.attempts >= settings.LOGIN_CODE_MAX_ATTEMPTS:
                return CodeCheck.LOCKED
            return CodeCheck.WRONG
        login_code.used = timezone.now()
        login_code.save(update_fields=["used"])
        return CodeCheck.OK
