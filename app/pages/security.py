"""The headers every page is sent with.

The pages run no script at all and load nothing from another host, so the policy can forbid
both outright; a form may post only back to Stapel, and no other site may frame a page.
"""

from __future__ import annotations

from typing import Final

CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # Claim links carry their secret in the path: no page may pass its address on.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# A learner's private view: never kept by a browser or a proxy.
PRIVATE: Final = {"Cache-Control": "no-store"}
# A public page: shared caches may keep it, but must ask again each time, so a revocation shows
# at once (the answer is cheap to make; an ETag would save little).
PUBLIC: Final = {"Cache-Control": "no-cache"}
