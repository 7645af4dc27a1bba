"""Production: gunicorn on PostgreSQL. SECRET_KEY and DATABASE_URL have no defaults on purpose."""

from .base import *  # noqa: F403
from .base import env

# Trust X-Forwarded-Proto only when a proxy in front sets it (and overwrites what clients send):
# trusted blindly, a client talking to gunicorn directly could claim HTTPS.
TRUST_X_FORWARDED_PROTO = env.bool("TRUST_X_FORWARDED_PROTO", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_X_FORWARDED_PROTO else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    # Deliberate (README, Security): preloading commits the whole domain to HTTPS in browsers for
    # months, a decision for the domain's owner, so it stays off until SECURE_HSTS_PRELOAD is set.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

OTP_REQUIRED_FOR_SUPERUSERS = env.bool("OTP_REQUIRED_FOR_SUPERUSERS", default=True)
