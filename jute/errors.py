"""The one exception the codec raises for bad input."""


class JuteError(ValueError):
    """Malformed, truncated or oversized Jute input, or a value that cannot be encoded.

    Every failure of decoding, encoding, framing or IDL parsing is reported as this type, so
    that a caller holding untrusted bytes needs exactly one ``except`` clause.
    """
