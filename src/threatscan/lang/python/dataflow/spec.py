"""The taint specification (sources, sinks, sanitizers, validators) read from rules/dataflow/*.yaml.

The files are data a user may extend: every `*.yaml` in the directory is merged in name order. Loading checks the
shape and fails loudly (CatalogError) on an unknown key or family, like the rule catalogue does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any


from ....catalog import CatalogError, rules_dir

FAMILIES = frozenset({
    "shell", "process", "code", "deserialise", "sql", "html", "redirect", "xml", "xml-expansion", "cookie",
    "path", "ssrf",
})
ALL = "all"

_SOURCE_KEYS = {"id", "label", "objects", "attributes", "parameters", "annotations", "self_attribute", "decorators",
                "first_parameter", "skip_annotations", "skip_defaults", "skip_parameters", "lambda_event"}
_SINK_KEYS = {"family", "calls", "view_return", "lambda_response"}
_CALL_KEYS = {"names", "args", "when_keyword"}


@dataclass(frozen=True)
class Library:
    """How the interpreter models library calls it does not analyse (rules/dataflow/python-library.yaml)."""

    str_methods: frozenset[str] = frozenset()  # folded when the string and its arguments are constants
    mappings: frozenset[str] = frozenset()  # constructors of a mapping read by key (ConfigParser, OrderedDict)
    pure_prefixes: tuple[str, ...] = ()  # functions of their arguments only (prefixes: `base64.`)
    pure_builtins: frozenset[str] = frozenset()
    impure_methods: frozenset[str] = frozenset()  # methods that read from outside or change their receiver
    self_validating: frozenset[str] = frozenset()  # `value.isdigit()`: validates its receiver
    file_openers: frozenset[str] = frozenset()  # the result is the file's content, not its name
    attribute_getters: frozenset[str] = frozenset()  # getattr: the name does not become the value
    dict_constructors: frozenset[str] = frozenset()
    sequence_constructors: frozenset[str] = frozenset()  # list(x), tuple(x)
    str_constructors: frozenset[str] = frozenset()
    extension_splitters: frozenset[str] = frozenset()  # os.path.splitext
    # Calls modelled as passing their arguments' data on: through them a flow stays complete (README "Severity
    # follows evidence"); an argument's taint through any other call of a library or unknown function is a gap.
    propagators: frozenset[str] = frozenset()
    propagator_prefixes: tuple[str, ...] = ()
    propagating_methods: frozenset[str] = frozenset()  # str, bytes and container methods
    # Tests of a value that check no content: they are not an unrecognised check (`isinstance(x, str)`).
    non_checks: frozenset[str] = frozenset()


_LIBRARY_KEYS = frozenset(f.name for f in fields(Library))


@dataclass(frozen=True)
class Source:
    id: str
    label: str
    objects: frozenset[str] = frozenset()
    attributes: frozenset[str] = frozenset()
    parameters: frozenset[str] = frozenset()
    annotations: frozenset[str] = frozenset()
    self_attribute: str = ""
    decorators: frozenset[str] = frozenset()
    first_parameter: frozenset[str] = frozenset()
    skip_annotations: frozenset[str] = frozenset()
    skip_defaults: frozenset[str] = frozenset()
    skip_parameters: frozenset[str] = frozenset()
    lambda_event: bool = False


@dataclass(frozen=True)
class SinkCall:
    family: str
    name: str
    positions: tuple[int, ...]
    keywords: tuple[str, ...]
    when_keyword: str = ""


@dataclass(frozen=True)
class NameTable:
    """Qualified names, and `*.method` patterns that match a method on an object of unknown type."""

    exact: dict[str, Any]
    methods: dict[str, Any]

    def match(self, qualname: str | None, method: str | None) -> Any:
        if qualname and qualname in self.exact:
            return self.exact[qualname]
        if method and method in self.methods and not (qualname and _is_import_path(qualname)):
            return self.methods[method]
        return None


def _is_import_path(qualname: str) -> bool:
    # `subprocess.execute` is a module function, not a cursor's method; `<local>.cur.execute` and `self.db.execute`
    # are objects of unknown type.
    root = qualname.split(".", 1)[0]
    return not root.startswith("<") and root not in ("self", "cls") and qualname.count(".") == 1 and root.islower() \
        and root in _KNOWN_MODULES


_KNOWN_MODULES = frozenset({"os", "subprocess", "sys", "json", "re", "shutil", "asyncio", "pathlib", "time"})


@dataclass
class Spec:
    sources: list[Source] = field(default_factory=list)
    sinks: NameTable = field(default_factory=lambda: NameTable({}, {}))  # name -> list[SinkCall]
    view_return: frozenset[str] = frozenset()  # families
    lambda_response: dict[str, dict] = field(default_factory=dict)  # family -> {key, header, contains}
    sanitizers: NameTable = field(default_factory=lambda: NameTable({}, {}))  # name -> frozenset families
    validators: NameTable = field(default_factory=lambda: NameTable({}, {}))  # name -> (arg, frozenset families)
    terminators: frozenset[str] = frozenset()
    sink_words: frozenset[str] = frozenset()  # last components of every sink name (the per-function prefilter)
    library: Library = field(default_factory=Library)  # library calls the interpreter models

    @cached_property
    def object_sources(self) -> dict[str, Source]:
        return {o: s for s in self.sources for o in s.objects}

    @cached_property
    def local_sink_names(self) -> bool:
        """Whether a sink's name starts like the interpreter's name of a call on a local variable (`<local>.x`):
        then only interpreting a function can tell whether it meets a sink (DataflowModule.may_hit_sink)."""
        return any(name.startswith("<") for name in self.sinks.exact)

    @cached_property
    def sink_names(self) -> dict[str, frozenset[str]]:
        """family -> the qualified names of its sink calls (`*.method` patterns are in sink_short_names only)."""
        out: dict[str, set[str]] = {}
        for name, calls in self.sinks.exact.items():
            for call in calls:
                out.setdefault(call.family, set()).add(name)
        return {family: frozenset(names) for family, names in out.items()}

    @cached_property
    def sink_short_names(self) -> dict[str, frozenset[str]]:
        """family -> the last part of its sink calls' names, `*.method` patterns included (`Response`, `from_string`):
        for checks that match a call by the name it is written with."""
        out: dict[str, set[str]] = {}
        for table, short in ((self.sinks.exact, lambda n: n.rsplit(".", 1)[-1]), (self.sinks.methods, lambda n: n)):
            for name, calls in table.items():
                for call in calls:
                    out.setdefault(call.family, set()).add(short(name))
        return {family: frozenset(names) for family, names in out.items()}


def _families(value: Any, where: str) -> frozenset[str]:
    fams = frozenset(str(v) for v in (value or []))
    bad = fams - FAMILIES - {ALL}
    if bad or not fams:
        raise CatalogError(f"{where}: unknown families {sorted(bad)}; known: {', '.join(sorted(FAMILIES))}, all")
    return fams


def _add(table: tuple[dict, dict], name: str, value: Any, merge) -> None:
    exact, methods = table
    target, key = (methods, name[2:]) if name.startswith("*.") else (exact, name)
    target[key] = merge(target.get(key), value)


def load_spec(directory: Path | None = None) -> Spec:
    if directory is None:  # the hot path: every sink check asks
        return _default_spec(os.environ.get("THREATSCAN_RULES_DIR"))
    return _load(str(directory / "dataflow"))


@lru_cache(maxsize=4)
def _default_spec(override: str | None) -> Spec:
    return _load(str(rules_dir() / "dataflow"))


@lru_cache(maxsize=4)
def _load(directory: str) -> Spec:
    spec = Spec()
    sinks: tuple[dict, dict] = ({}, {})
    sans: tuple[dict, dict] = ({}, {})
    vals: tuple[dict, dict] = ({}, {})
    terminators: set[str] = set()
    view_return: set[str] = set()
    for path in sorted(Path(directory).glob("*.yaml")):
        where = f"dataflow/{path.name}"
        with path.open(encoding="utf-8") as fh:
            import yaml  # here: a rescan served from the cache loads no specification

            data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}  # libyaml: same data, faster
        unknown = set(data) - {"sources", "sinks", "sanitizers", "validators", "terminators", "library"}
        if unknown:
            raise CatalogError(f"{where}: unknown sections {sorted(unknown)}")
        for s in data.get("sources") or []:
            bad = set(s) - _SOURCE_KEYS
            if bad or "id" not in s:
                raise CatalogError(f"{where}: source {s.get('id', '?')} has unknown keys {sorted(bad)} or no id")
            fz = lambda k: frozenset(str(v) for v in s.get(k) or [])  # noqa: E731
            spec.sources.append(Source(
                id=str(s["id"]), label=str(s.get("label", s["id"])), objects=fz("objects"), attributes=fz("attributes"),
                parameters=fz("parameters"), annotations=fz("annotations"), self_attribute=str(s.get("self_attribute", "")),
                decorators=fz("decorators"), first_parameter=fz("first_parameter"),
                skip_annotations=fz("skip_annotations"), skip_defaults=fz("skip_defaults"),
                skip_parameters=fz("skip_parameters"), lambda_event=bool(s.get("lambda_event")),
            ))
        for sink in data.get("sinks") or []:
            bad = set(sink) - _SINK_KEYS
            family = sink.get("family")
            if bad or family not in FAMILIES:
                raise CatalogError(f"{where}: sink of family {family!r} has unknown keys {sorted(bad)} or an unknown family")
            for call in sink.get("calls") or []:
                if set(call) - _CALL_KEYS:
                    raise CatalogError(f"{where}: sink call has unknown keys {sorted(set(call) - _CALL_KEYS)}")
                args = call.get("args") or [0]
                positions = tuple(a for a in args if isinstance(a, int))
                keywords = tuple(str(a) for a in args if not isinstance(a, int))
                for name in call.get("names") or []:
                    entry = SinkCall(family, str(name), positions, keywords, str(call.get("when_keyword", "")))
                    _add(sinks, str(name), entry, lambda old, new: [*(old or []), new])
            if sink.get("view_return"):
                view_return.add(family)
            if sink.get("lambda_response"):
                spec.lambda_response[family] = dict(sink["lambda_response"])
        for san in data.get("sanitizers") or []:
            fams = _families(san.get("families"), where)
            for name in san.get("names") or []:
                _add(sans, str(name), fams, lambda old, new: (old or frozenset()) | new)
        for val in data.get("validators") or []:
            fams = _families(val.get("families"), where)
            arg = int(val.get("arg", 0))
            keyword = val.get("keyword")  # the argument's name when it is passed by keyword (`url=`)
            for name in val.get("names") or []:
                _add(vals, str(name), (arg, fams) if keyword is None else (arg, fams, str(keyword)),
                     lambda old, new: new)
        terminators.update(str(t) for t in data.get("terminators") or [])
        library = data.get("library") or {}
        if set(library) - _LIBRARY_KEYS:
            raise CatalogError(f"{where}: library has unknown keys {sorted(set(library) - _LIBRARY_KEYS)}")
        for key, names in library.items():
            old = getattr(spec.library, key)
            new = {str(n) for n in names or []}
            spec.library = replace(spec.library, **{key: tuple(sorted({*old, *new})) if isinstance(old, tuple)
                                                    else old | new})
    spec.sinks = NameTable(*sinks)
    spec.sanitizers = NameTable(*sans)
    spec.validators = NameTable(*vals)
    spec.terminators = frozenset(terminators)
    spec.view_return = frozenset(view_return)
    words = {n.rsplit(".", 1)[-1] for n in sinks[0]} | set(sinks[1])
    spec.sink_words = frozenset(words)
    return spec
