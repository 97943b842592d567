"""Abstract values of the data-flow pass: what is known of a value (a constant, its containers' parts) and which
untrusted sources may have reached it, each with the path it took."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ....model import FlowStep
from ..module import UNKNOWN

class _Opaque:
    """A constant whose value the analysis does not compute: the result of a pure function of constants
    (`base64.b64decode("...")`), or a value proved to be one of a constant collection's members (`if x in
    ALLOWED`). Folding anything with it fails (and so stays unknown); it is never tainted."""

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return "OPAQUE_CONSTANT"

    def __bool__(self) -> bool:
        raise TypeError("opaque constant")

    def __eq__(self, other: object) -> bool:
        raise TypeError("opaque constant")

    def __format__(self, spec: str) -> str:
        raise TypeError("opaque constant")


OPAQUE: Any = _Opaque()

MAX_STEPS = 12
MAX_TAINTS = 4
MAX_ELTS = 64


@dataclass(frozen=True)
class Taint:
    """One untrusted origin and the steps it took. `param` marks the symbolic taint of a function's parameter (used
    to build summaries); `cleaned` lists the sink families a sanitizer made it harmless for. `gap` says why the
    flow is not complete (README "Severity follows evidence"): the first step the analysis could not see through,
    as a phrase for a reviewer ("passes through `lib.process()`, a call the analysis does not model"); "" when
    every step is modelled. A sink reached only by flows with a gap is a review finding. `trust` names who controls
    the source when it is not a caller's request ("" for request data: an attacker's): a Lambda event that only the
    account's own services send (an S3 notification, a queue's message), whose data's author is not visible, so a
    flow from it is a review finding too; or a request only the site's administrators can send, which matters for
    the sinks that act on the server only (`trust_families`: the families the trust concerns, None for all; a
    reflected attack, XSS or a redirect, needs no more than a link the administrator follows)."""

    steps: tuple[FlowStep, ...]
    cleaned: frozenset[str] = frozenset()
    certain: bool = True
    param: int | str | None = None
    label: str = ""
    gap: str = ""
    gap_skip: frozenset[str] = frozenset()  # sink families the gap does not concern (a check known not to guard them)
    trust: str = ""
    trust_families: frozenset[str] | None = None
    # a request-body model (a pydantic model a FastAPI route receives): its fields whose declared type or pattern
    # makes them clean for some sink families, as (field, families) pairs (models.py); what reading one returns
    fields: tuple[tuple[str, frozenset[str]], ...] | None = None

    @property
    def origin(self) -> Any:
        return (self.param, self.steps[0].location if self.steps else None, self.cleaned, self.trust)

    def with_(self, **changes: Any) -> "Taint":
        """`dataclasses.replace(self, **changes)`, without its generic work (the interpretation makes a new taint at
        every step): the same fields, `changes` set (Taint has no __post_init__)."""
        new = object.__new__(self.__class__)
        fields = new.__dict__
        fields.update(self.__dict__)
        fields.update(changes)
        return new

    def step(self, step: FlowStep | None) -> "Taint":
        if step is None or (self.steps and self.steps[-1] == step):
            return self
        steps = self.steps + (step,)
        if len(steps) > MAX_STEPS:
            steps = steps[:2] + steps[-(MAX_STEPS - 2):]
        return self.with_(steps=steps)

    def clean(self, families: frozenset[str]) -> "Taint":
        return self.with_(cleaned=self.cleaned | families)

    def through(self, gap: str, skip: frozenset[str] = frozenset()) -> "Taint":
        """The taint after a step the analysis cannot see through (the first such step is the one named; `skip`:
        families for which the step is known not to matter)."""
        if not gap or (self.gap and self.gap_skip <= skip):
            return self if self.fields is None else self.with_(fields=None)
        self = self.with_(fields=None) if self.fields is not None else self  # (what a call returns is no model)
        if not self.gap:
            return self.with_(gap=gap, gap_skip=skip)
        # the step named is the one that concerns the families the earlier one did not (`skip` no wider than its):
        # a check known to guard only some sinks, then a call no sink sees through, names the call
        return self.with_(gap=gap if skip <= self.gap_skip else self.gap, gap_skip=self.gap_skip & skip)

    def gap_for(self, family: str | None) -> str:
        """Why the flow is not complete for a sink of `family` ("" when it is)."""
        return "" if not self.gap or (family is not None and family in self.gap_skip) else self.gap

    def trust_for(self, family: str | None) -> str:
        """Who controls the source, when that makes a flow to a sink of `family` a review one ("" otherwise)."""
        if not self.trust or self.trust_families is None or family is None or family in self.trust_families:
            return self.trust
        return ""

    def live_for(self, family: str | None) -> bool:
        if "all" in self.cleaned:
            return False
        return family is None or family not in self.cleaned


def union(a: tuple[Taint, ...], b: tuple[Taint, ...]) -> tuple[Taint, ...]:
    if not a:
        return b
    if not b:
        return a
    seen = {t.origin: i for i, t in enumerate(a)}
    out = list(a)
    for t in b:
        i = seen.get(t.origin)
        if i is None:
            if len(out) < MAX_TAINTS:
                seen[t.origin] = len(out)
                out.append(t)
        elif out[i].gap and (not t.gap or t.gap_skip > out[i].gap_skip):
            out[i] = t  # the same origin by a path every step of which is modelled (for more families): that one
    return tuple(out)


class V:
    """An abstract value. `const` is the known constant (UNKNOWN otherwise); `elts` the known elements of a list or
    tuple; `keys` the known entries of a dict (constant key -> V); `taints` the taint of the value as a whole
    (including parts whose position is unknown); `obj` a request object whose attributes are sources."""

    __slots__ = ("const", "taints", "elts", "keys", "obj", "choices", "site", "origin", "tail", "stored", "record",
                 "head", "klass", "lead")

    def __init__(self, const: Any = UNKNOWN, taints: tuple[Taint, ...] = (), elts: tuple["V", ...] | None = None,
                 keys: dict | None = None, obj: Any = None):
        self.const = const
        self.taints = taints
        self.elts = elts
        self.keys = keys
        self.obj = obj
        # the constants an OPAQUE value is one of, when a join of a few known constants made it (`"sh"` on one
        # branch, `"cmd.exe"` on the other): a frozenset of at most MAX_CHOICES, else None
        self.choices: frozenset | None = None
        # a URL of this site (what url_for/reverse return): text appended to it cannot change where it points
        self.site = False
        # a URL that starts with a scheme and host the program chose (a constant `https://host/`, a configured base
        # and its path slash): text appended to it can change neither its host nor, for outgoing requests, the server
        self.origin = False
        # a URL whose host is known to be over: a `?` or `#` was added to it (`checked + "?from=mail"`), or it is
        # `urljoin(base, "/path")`; text appended next (`&k=v`, `@evil.example`) stays in its path, query or fragment
        self.tail = False
        # a query of the database (its rows, a query set): filtering it again or reading a row of it is one too
        self.stored = False
        # a row an ORM call wrote from keyword arguments (`keys`): its other attributes are the program's
        self.record = False
        # the first element of a list whose length is not known (`parts = [url]`, then `parts += [query]` on one
        # branch only): what `"?".join(parts)` puts before the separator
        self.head: V | None = None
        # an object a repository model class built from keyword arguments (`keys`): (its module, its ClassDef), whose
        # properties are read with those arguments (Flow.property_read)
        self.klass: Any = None
        # text known to start with `/` (`"/" + path`): after a configured `scheme://host`, it can only be a path
        self.lead = False

    def __repr__(self) -> str:
        parts = []
        if self.const is not UNKNOWN:
            parts.append(repr(self.const))
        if self.taints:
            parts.append(f"taint×{len(self.taints)}")
        if self.elts is not None:
            parts.append(f"elts={list(self.elts)}")
        if self.keys is not None:
            parts.append(f"keys={self.keys}")
        if self.obj is not None:
            parts.append(f"obj={self.obj}")
        return f"V({', '.join(parts)})"

    @property
    def known(self) -> bool:
        return self.const is not UNKNOWN

    def deep(self) -> tuple[Taint, ...]:
        """Every taint of the value and its parts."""
        out = self.taints
        for e in self.elts or ():
            out = union(out, e.deep())
        for v in (self.keys or {}).values():
            out = union(out, v.deep())
        return out

    def with_taints(self, taints: tuple[Taint, ...]) -> "V":
        return V(self.const, taints, self.elts, self.keys, self.obj)

    def mapped(self, fn) -> "V":
        """The value with `fn` applied to every taint, in the parts too."""
        out = V(
            self.const, tuple(fn(t) for t in self.taints),
            tuple(e.mapped(fn) for e in self.elts) if self.elts is not None else None,
            {k: v.mapped(fn) for k, v in self.keys.items()} if self.keys is not None else None,
            self.obj,
        )
        out.head = self.head.mapped(fn) if self.head is not None else None
        return out

    def flat(self) -> "V":
        """The same taint with the structure forgotten (what an unknown operation returns)."""
        return V(taints=self.deep())


UNKNOWN_V = V()


def const_v(value: Any) -> V:
    return V(const=value)


def tainted(taints: tuple[Taint, ...]) -> V:
    return V(taints=taints)


def join(a: V | None, b: V | None) -> V:
    """What is known of a value that is `a` on one path and `b` on another."""
    if a is None:
        return b if b is not None else UNKNOWN_V
    if b is None or a is b:
        return a
    if a.known and a.const is None and b.keys is not None and b.record:
        a, b = b, a
    if b.known and b.const is None and a.keys is not None and a.record:
        # `row = None` on one path, a record on the other: only the record has attributes to read
        out = V(UNKNOWN, a.taints, a.elts, a.keys, a.obj)
        out.stored, out.record, out.klass = a.stored, a.record, a.klass
        return out
    choices = None
    if a.known and b.known:  # one of two constants is still a constant (of a value not computed)
        const = a.const if type(a.const) is type(b.const) and _eq(a.const, b.const) else OPAQUE
        if const is OPAQUE:
            choices = _choices(a) | _choices(b) if _choices(a) is not None and _choices(b) is not None else None
            if choices is not None and len(choices) > MAX_CHOICES:
                choices = None
    else:
        const = UNKNOWN
    taints = union(a.taints, b.taints)
    elts = None
    if a.elts is not None and b.elts is not None and len(a.elts) == len(b.elts):
        elts = tuple(join(x, y) for x, y in zip(a.elts, b.elts))
    elif a.elts is not None or b.elts is not None:
        taints = union(taints, union(_elts_taint(a), _elts_taint(b)))
    keys = None
    if a.keys is not None and b.keys is not None:
        keys = {}
        for k in {**a.keys, **b.keys}:
            keys[k] = join(a.keys.get(k), b.keys.get(k))
    elif a.keys is not None or b.keys is not None:
        taints = union(taints, union(_keys_taint(a), _keys_taint(b)))
    obj = a.obj if a.obj == b.obj else (a.obj or b.obj)
    out = V(const, taints, elts, keys, obj)
    out.choices = choices
    if elts is None and (a.elts or a.head is not None) and (b.elts or b.head is not None):
        out.head = join(a.elts[0] if a.elts else a.head, b.elts[0] if b.elts else b.head)  # lists of two lengths
    out.site = a.site and b.site
    out.origin = a.origin and b.origin
    out.tail = a.tail and b.tail
    out.lead = a.lead and b.lead
    out.stored = a.stored and b.stored
    out.record = a.record and b.record
    out.klass = a.klass if a.klass is b.klass else None
    return out


MAX_CHOICES = 8


def _choices(v: V) -> frozenset | None:
    if v.const is OPAQUE:
        return v.choices
    if isinstance(v.const, (str, int, float, bool, type(None), bytes)):
        return frozenset({v.const})
    return None


def _eq(x: Any, y: Any) -> bool:
    try:
        return bool(x == y)
    except Exception:
        return False


def _elts_taint(v: V) -> tuple[Taint, ...]:
    out: tuple[Taint, ...] = ()
    for e in v.elts or ():
        out = union(out, e.deep())
    return out


def _keys_taint(v: V) -> tuple[Taint, ...]:
    out: tuple[Taint, ...] = ()
    for e in (v.keys or {}).values():
        out = union(out, e.deep())
    return out


def join_all(values) -> V:
    out = None
    for v in values:
        out = join(out, v)
    return out if out is not None else UNKNOWN_V


def uncertain(taints: tuple[Taint, ...]) -> tuple[Taint, ...]:
    return tuple(t.with_(certain=False) if t.certain else t for t in taints)


def through(taints: tuple[Taint, ...], gap: str, skip: frozenset[str] = frozenset()) -> tuple[Taint, ...]:
    """The taints after a step the analysis cannot see through (see Taint.gap)."""
    return tuple(t.through(gap, skip) for t in taints) if gap else taints


def expand(v: V, fn) -> V:
    """The value with every taint replaced by the taints `fn(taint)` returns (a tuple), in the parts too."""

    def many(ts: tuple[Taint, ...]) -> tuple[Taint, ...]:
        out: tuple[Taint, ...] = ()
        for t in ts:
            out = union(out, fn(t))
        return out

    out = V(
        v.const, many(v.taints),
        tuple(expand(e, fn) for e in v.elts) if v.elts is not None else None,
        {k: expand(x, fn) for k, x in v.keys.items()} if v.keys is not None else None,
        v.obj,
    )
    out.choices, out.site, out.origin, out.tail, out.stored, out.record, out.klass, out.lead = \
        v.choices, v.site, v.origin, v.tail, v.stored, v.record, v.klass, v.lead
    out.head = expand(v.head, fn) if v.head is not None else None
    return out


# --- folding without building what a hostile file asks for -------------------------------------------------------
# `3_000_000_000 * 'a'` is 60 bytes of source and 2.9 GB folded; `1 << 10**12` never finishes; `'%999999999d' % 1`
# and `'a'.center(10**9)` the same. Each fold is checked *before* it runs: a result that could exceed the limit is
# left unknown (as any value the analysis cannot see).
from .... import limits as _limits  # noqa: E402

MAX_FOLDED = _limits.MAX_FOLDED_LENGTH
_SEQUENCES = (str, bytes, list, tuple)


def _size(value: Any) -> int:
    return len(value) if isinstance(value, _SEQUENCES) else 0


def _wide_format(text: Any) -> bool:
    """A %-format or format() template that could pad far: a `*` width or a number of six digits or more."""
    if not isinstance(text, (str, bytes)):
        return False
    star, digit = ("*", "0123456789") if isinstance(text, str) else (b"*", b"0123456789")
    if star in text:
        return True
    run = 0
    for ch in text if isinstance(text, str) else (bytes([b]) for b in text):
        run = run + 1 if ch in digit else 0
        if run >= 6:
            return True
    return False


def fold_fits(op: str, left: Any, right: Any = None) -> bool:
    """Whether folding `left <op> right` stays within MAX_FOLDED (characters, bytes, items; 10^6 bits for ints).
    op: "add", "mul", "mod", "lshift", "pow", or a str method name (right: its arguments)."""
    if op == "mul":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, _SEQUENCES) and isinstance(n, int):
                return _size(seq) * max(n, 0) <= MAX_FOLDED
        return not isinstance(left, _SEQUENCES) and not isinstance(right, _SEQUENCES)
    if op == "add":
        return _size(left) + _size(right) <= MAX_FOLDED
    if op == "mod":
        return not _wide_format(left) and _size(left) <= MAX_FOLDED
    if op == "lshift":
        return not isinstance(right, int) or (0 <= right <= 1_000_000 and
                                              (not isinstance(left, int) or abs(left).bit_length() + right <= 1_000_000))
    if op in ("zfill", "center", "ljust", "rjust"):
        width = right[0] if right else 0
        return not isinstance(width, int) or width <= MAX_FOLDED
    if op == "expandtabs":
        size = right[0] if right else 8
        return not isinstance(size, int) or _size(left) * max(size, 1) <= MAX_FOLDED
    if op == "replace":
        new = right[1] if right and len(right) > 1 else ""
        return (_size(left) + 1) * max(_size(new), 1) <= MAX_FOLDED
    if op == "format":
        return not _wide_format(left) and _size(left) + sum(_size(a) for a in (right or ())) <= MAX_FOLDED
    return True
