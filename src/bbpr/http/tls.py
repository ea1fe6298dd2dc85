"""Whom to trust for TLS: the user's bundle, the standard variables, or the OS trust store.

Apart from the client so that the choice, and the sentence when a bundle cannot be read,
stay plain Python; the client only decides whether any TLS is needed at all.
"""

from __future__ import annotations

import os
import ssl

from ..errors import InputError


def ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Whom to trust: --ca-bundle, else SSL_CERT_FILE / SSL_CERT_DIR, else the OS trust store.

    The OS store (through truststore) is what makes a company's own certificate authority
    work with no configuration, as it does in the browser.
    """
    cafile = ca_bundle or os.environ.get("SSL_CERT_FILE") or None
    capath = None if cafile else os.environ.get("SSL_CERT_DIR") or None
    if cafile or capath:
        try:
            return ssl.create_default_context(cafile=cafile, capath=capath)
        except (OSError, ssl.SSLError) as error:
            where = "--ca-bundle" if ca_bundle else "SSL_CERT_FILE/SSL_CERT_DIR"
            raise InputError(
                f"Could not read the certificates in {cafile or capath} ({where}): {error}."
            ) from None
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
