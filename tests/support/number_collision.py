"""Two execution ids with one number (domain/execution/numbers.py): a real collision of
53-bit numbers, so the lookups by number are tested against one, not a stand-in.

Found by Brent's cycle-finding over f(x) = number(PREFIX + 14 hex digits of x), from
x = 170 (cycle length 20 362 860, tail 148 555 086: about 3.4e8 sha256, under a
minute in C; a birthday search needs about 2^26.5 numbers, and this needs no memory):
the two points where the tail meets the cycle are different ids with one number. Both
are 32 lowercase hex digits, so they are well-formed execution ids (uuid4 ids are too,
which only makes such a pair rarer, not impossible). The search, if it is ever needed
again (for another derivation), in Python terms:

    x, power, lam, tortoise, hare = 170, 1, 1, 170, f(170)
    while tortoise != hare:  # the cycle's length
        if power == lam: tortoise, power, lam = hare, power * 2, 0
        hare, lam = f(hare), lam + 1
    tortoise = hare = 170
    for _ in range(lam): hare = f(hare)
    while tortoise != hare:  # the last two before they meet collide
        a, b, tortoise, hare = tortoise, hare, f(tortoise), f(hare)
"""

from __future__ import annotations

COLLIDING_IDS = ("9c1e4f0a7b3d52e6a8009574adacec4f", "9c1e4f0a7b3d52e6a8017faa65addae0")
COLLIDING_NUMBER = 1653836475258930
