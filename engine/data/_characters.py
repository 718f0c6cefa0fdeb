"""Readable names for the characters of a character model's alphabet.

A character model's predictions have a probability column per character (``p_a``, ``p_e``),
and a name must read well in a CSV header, a JSON key and a terminal: whitespace and control
characters get a word or their code point instead of themselves (``p_space``, ``p_newline``,
``p_U+00A0``). A name longer than one character never equals a character, so every
alphabet's names stay distinct.
"""

from __future__ import annotations

_WORDS = {" ": "space", "\n": "newline", "\t": "tab", "\r": "return"}


def character_name(char: str) -> str:
    """``char`` itself when it prints as a visible glyph, else a word or ``U+XXXX``."""
    if char in _WORDS:
        return _WORDS[char]
    if char.isprintable() and not char.isspace():
        return char
    return f"U+{ord(char):04X}"
