"""The fast paths of the cold scan give the answers of the plain code they replace (issue 19: speed without changing
any finding). Each test compares a fast path with a straightforward reference on inputs that exercise the corner the
fast path relies on."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from types import SimpleNamespace

from threatscan.lang.python.dataflow.interp import one_segment_sanitiser
from threatscan.lang.python.module import PyModule
from threatscan.lang.python.names import Names
from threatscan.registry import Check, prefiltered

SOURCE = textwrap.dedent('''
    import os
    x = a + b - -c
    if x and not y or z:
        for i in range(3):
            try:
                pass
            except ValueError as exc:
                x += 1
            else:
                y = [v for v in w if v > 1 < 2]
            finally:
                del x
    while q:
        match q:
            case 1:
                q = None
            case _:
                with open(p) as fh:
                    r = lambda s: s * 2
    class C:
        def m(self, *args, k: int = 3, **kw):
            return (yield from g())
''')


def test_the_parent_map_is_the_ast_walk_map_with_its_order_and_its_shared_nodes():
    tree = ast.parse(SOURCE)
    module = PyModule.__new__(PyModule)
    module.tree, module._parents = tree, None
    expected = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    got = module.parents()
    assert list(got.items()) == list(expected.items())
    # the parser shares one Load context (and one node per operator) among all uses: the last parent ast.walk
    # meets is the one kept, in both
    shared = [n.ctx for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)][:2] + \
        [n.op for n in ast.walk(tree) if isinstance(n, ast.BinOp)][:1]
    assert shared[0] is shared[1]
    for node in shared:
        assert got[id(node)] is expected[id(node)]


def _reference_statements(tree: ast.AST) -> list[ast.AST]:
    out = []

    def visit(stmts):
        for s in stmts:
            out.append(s)
            for name in ("body", "orelse", "finalbody", "handlers", "cases"):
                block = getattr(s, name, None)
                if isinstance(block, list):
                    visit(block)

    visit(tree.body)
    return out


NESTED = textwrap.dedent('''
    import os
    if a:
        from b import c
        def f():
            import d as e
            def g():
                pass
    else:
        try:
            from .h import i
        except ImportError:
            async def j():
                pass
        finally:
            k = 1
    while q:
        match q:
            case 1:
                from l import m as n
    class C:
        def m(self):
            from o import *
''')


def test_names_reads_every_statement_in_source_order():
    # Names walks the statements itself (every block, at any depth): the functions and imports it collects are
    # those of every statement, in source order
    for source in (SOURCE, NESTED):
        tree = ast.parse(source)
        statements = _reference_statements(tree)
        names = Names(tree)
        assert names.functions == [s for s in statements if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
        imported = [a.asname or a.name for s in statements if isinstance(s, ast.ImportFrom) for a in s.names
                    if a.name != "*"] if source is SOURCE else ["c", "e", "i", "n"]
        assert list(names.imports) == imported
    assert [f.name for f in names.functions] == ["f", "g", "j", "m"]
    assert names.star_modules == ["o"]
    assert names.aliases == {"os": "os", "c": "b.c", "e": "d", "n": "l.m"}


def test_prefilter_on_text_searched_as_bytes_selects_what_a_plain_search_selects():
    tokens = [("exec",), ("subprocess",), ("os.system",), ("é",), ("password", "secret"), (), ("x-api-key",),
              ("naïve",)]
    rules = {f"R{i}": SimpleNamespace(tokens=t) for i, t in enumerate(tokens)}
    checks = [Check(f"R{i}", "python", lambda *a: None) for i in range(len(tokens))]
    texts = ["import os\nos.execute(cmd)\n", "secret = 'x-api-key'\n", "print('naïve é')\n", "", "os.system(x)",
             "passwordless\n", "subprocess_tool = 1\n", "\u00e9t\u00e9 = 'exec'\n",
             # (text that is not ASCII is searched as its UTF-8 bytes: tokens inside words with other letters, and
             # text with a lone surrogate, which has no UTF-8 bytes and is searched as text)
             "caf\u00e9subprocess = 1\n", "\u00e9exec\u00e9 x-api-key\u00e9 na\u00efve\n", "bad \udcff exec \u00e9\n"]

    def reference(text: str) -> list[str]:
        return [c.rule_id for c in checks if not rules[c.rule_id].tokens
                or any(t in text for t in rules[c.rule_id].tokens)]

    for text in texts:
        assert [c.rule_id for c in prefiltered(checks, rules, text)] == reference(text), text
        if "\udcff" in text:
            continue
        assert [c.rule_id for c in prefiltered(checks, rules, text.encode())] == \
            [c.rule_id for c in checks if not rules[c.rule_id].tokens
             or any(t.encode() in text.encode() for t in rules[c.rule_id].tokens)], text


CLEANER = textwrap.dedent('''
    def valid_filename(name):
        cleaned = name.replace("/", "_")
        if cleaned.endswith("."):
            cleaned = cleaned[:-1]
        return cleaned

    def no_dot_test(name):
        cleaned = name.replace("/", "_")
        return cleaned

    def no_return(name):
        cleaned = name.replace("/", "_").rstrip(".")

    def returns_other(name, other):
        cleaned = name.replace("/", "_").rstrip(".")
        return other
''')


def test_the_file_name_cleaner_test_still_needs_the_slash_the_dot_and_the_return():
    tree = ast.parse(CLEANER)
    verdicts = {fn.name: one_segment_sanitiser(fn) for fn in tree.body}
    assert verdicts == {"valid_filename": True, "no_dot_test": False, "no_return": False, "returns_other": False}


INDEX_SOURCE = textwrap.dedent('''
    def helper(x):
        return run(x)


    def run(x):
        return helper(x) + other(x)


    class Reports:
        def build(self, x):
            return self.render(x) + helper(x)

        def render(self, x):
            inner = lambda y: helper(y)
            return [run(v) for v in x] + [inner(x)]

        class Nested:
            def go(self):
                return self.render(1)


    def main():
        reports = Reports()
        reports.build(helper(1))
        Reports().render(run(2))

        def local():
            return helper(3)

        return local()


    helper(run(main()))
''')


def _reference_call_sites(dm) -> dict:
    """The call-site index as the plain walk built it (child_nodes per node, isinstance tests)."""
    from threatscan.lang.python.dataflow.module import FunctionNode
    from threatscan.lang.python.module import child_nodes

    sites: dict = {}
    tree = dm.module.tree
    stack = [(tree, tree, None)]
    while stack:
        node, scope, cls = stack.pop()
        for child in child_nodes(node):
            child_scope, child_cls = scope, cls
            if isinstance(child, FunctionNode):
                child_scope = child
            elif isinstance(child, ast.ClassDef):
                child_cls = child
            if isinstance(child, ast.Call):
                target = dm._static_target(child.func, scope, cls)
                if target is not None:
                    sites.setdefault(id(target), []).append((child, scope))
            stack.append((child, child_scope, child_cls))
    return sites


def test_the_call_site_index_has_the_plain_walks_sites_in_its_order():
    from threatscan.discover import SourceFile
    from threatscan.lang.python.dataflow.module import DataflowModule
    from threatscan.lang.python.module import AnalysisState, ModuleFacts

    tree = ast.parse(INDEX_SOURCE)
    file = SourceFile(Path("index.py"), "index.py", frozenset({"python"}), len(INDEX_SOURCE))
    dm = DataflowModule(PyModule(file, tree, "ast", ModuleFacts(), AnalysisState()))
    dm._build_index()
    expected = _reference_call_sites(dm)
    assert len(expected) >= 4 and sum(map(len, expected.values())) >= 9
    assert dm.call_sites == expected  # the same sites, in the same order (the first MAX_CALLER_SITES are kept)


BINDINGS_SOURCE = textwrap.dedent('''
    import os as o
    def f(a, b=[k for k in range(3)], *c, d: int = (z := 4), **e):
        x = 1
        x = y = compute(a,
                        b)
        msg = f"{[w for w in c]}"
        total = sum(v for v in
                    e.values())
        if (n := len(c)) > 2:
            for i, (j, m) in enumerate(pairs):
                x += i
        with open(a) as fh, ctx() as (p, q):
            pass
        try:
            pass
        except ValueError as exc:
            global G
        match a:
            case [first, *rest] if (g := first):
                h = {kk: vv for kk, vv in rest}
        lam = lambda s: [t for t in s]
        def inner(u):
            return [u2 for u2 in u]
        class K:
            attr = [a2 for a2 in range(2)]
        @decorate([d2 for d2 in ()])
        async def coro():
            async for ai in stream():
                pass
        return x
''')


def test_the_bindings_walk_skips_only_expressions_that_cannot_bind():
    from threatscan.discover import SourceFile
    from threatscan.lang.python.module import (
        AnalysisState, ModuleFacts, _BINDING_CLASSES, _NESTED_SCOPES, _binding_nodes, child_nodes, push_children,
    )

    def reference(scope):  # every node of the scope, nested scopes left out
        stack, out = child_nodes(scope), []
        while stack:
            node = stack.pop()
            if node.__class__ in _BINDING_CLASSES:
                out.append(node)
            elif node.__class__ in _NESTED_SCOPES:
                continue
            push_children(node, stack.append)
        return out

    file = SourceFile(Path("b.py"), "b.py", frozenset({"python"}), len(BINDINGS_SOURCE), _text=BINDINGS_SOURCE)
    tree = ast.parse(BINDINGS_SOURCE)
    module = PyModule(file, tree, "ast", ModuleFacts(), AnalysisState())
    scopes = [n for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef))]
    inner = module.inner_binding_lines()
    for scope in scopes:
        assert _binding_nodes(scope, inner) == reference(scope)
    f = tree.body[1]
    bound = module.bindings(f)
    # names bound inside expressions (comprehensions, assignment expressions) are found: in defaults, f-strings,
    # generator arguments spread over lines, conditions, case guards
    for name in ("k", "z", "w", "v", "n", "g", "kk", "x", "fh", "p", "exc", "G", "i", "m"):
        assert name in bound, name
    for name in ("t", "u2", "a2", "d2", "ai"):  # (inside a nested scope)
        assert name not in bound, name
    assert inner is not None and len(inner) < len(BINDINGS_SOURCE.splitlines()) / 2  # (the screen has lines to skip)


def test_the_walker_calls_every_check_on_the_same_nodes_in_the_same_order():
    from threatscan.engines.python import _Walker

    tree = ast.parse(SOURCE + BINDINGS_SOURCE)
    seen: list = []

    def check(node, ctx):
        seen.append((node, ctx.function))

    class Ctx:
        function = outer_function = None

    def reference(node, function, out):  # a plain recursive walk in field order
        out.append((node, function))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.expr_context,)):
                continue
            reference(child, node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else function, out)
        return out

    rule = SimpleNamespace(id="R")
    for types in ((ast.Name, ast.Call), (ast.Call,), (ast.alias, ast.Constant), (ast.AST,)):
        seen.clear()
        c = Check("R", "python", check, {"node_types": types, "raise_in_handler": False})
        dispatch = {t: [c] for t in types}
        _Walker(Ctx(), dispatch, {"R": rule}).visit(tree)
        expected = [(n, f) for n, f in reference(tree, None, []) if isinstance(n, types)]
        assert len(expected) > 10
        assert [(id(n), id(f)) for n, f in seen] == [(id(n), id(f)) for n, f in expected], types


def test_a_taint_with_changes_is_dataclasses_replace():
    import dataclasses

    from threatscan.lang.python.dataflow.values import Taint
    from threatscan.model import FlowStep, Location

    step = FlowStep(Location("a.py", 1, 1), "source")
    t = Taint((step,), frozenset({"sql"}), False, "x", "request.args", "gap", frozenset({"html"}), "internal",
              frozenset({"os"}), (("f", frozenset({"sql"})),))
    for changes in ({"steps": (step, step)}, {"param": "x.y"}, {"certain": True}, {"fields": None},
                    {"gap": "", "gap_skip": frozenset()}, {}):
        new, expected = t.with_(**changes), dataclasses.replace(t, **changes)
        assert new == expected and hash(new) == hash(expected) and new is not t
        assert [getattr(new, f.name) for f in dataclasses.fields(Taint)] == \
            [getattr(expected, f.name) for f in dataclasses.fields(Taint)]
    assert t.step(FlowStep(Location("a.py", 2, 1), "next")).steps[-1].message == "next"


def test_the_prefilter_splits_bytes_into_the_words_the_pattern_finds():
    import re

    from threatscan.registry import _NON_WORD_TO_SPACE

    text = bytes(range(256)) * 2 + b"def f(x_1):\n\treturn x_1.\xc3\xa9t\xc3\xa9 + 'y-z'\r\n"
    assert sorted(text.translate(_NON_WORD_TO_SPACE).split()) == sorted(re.findall(rb"\w+", text))


def test_callers_through_the_word_filters_are_the_callers_a_plain_read_finds(tmp_path):
    # (from the third name asked, _callers reads only files whose word filter may hold the name)
    from threatscan.lang.python.dataflow.module import _callers
    from threatscan.lang.python.module import AnalysisState

    texts = {
        "app/views.py": "def serve(request, path):\n    return helper (request)\n",
        "app/urls.py": "from .views import serve\nurlpatterns = [path('x', serve)]\nx = other_serve(1)\n",
        "app/util.py": "def helper(request):\n    return redirect_to(\n        request)\nserve\n(1)\n",
        "app/defs.py": "def redirect_to(r):\n    pass\nclass K:\n    def   helper(self): ...\n",
        "app/caf\u00e9.py": "# -*- coding: utf-8 -*-\nx = 'caf\u00e9'(1)\n\u00e9helper(2)\n",
        "tests/test_views.py": "serve(request)\nhelper(1)\n",
    }
    files = {}
    for rel, text in texts.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        files[rel] = SimpleNamespace(path=path)
    files["app/gone.py"] = SimpleNamespace(path=tmp_path / "app" / "gone.py")
    names = ["serve", "helper", "redirect_to", "other_serve", "path", "r", "x", "caf\u00e9", "missing", "K"]
    plain = {name: _callers(files, name) for name in names}
    state = AnalysisState()
    for name in names:
        state.helper_callers[name] = _callers(files, name, state)
    assert state.word_index is not None
    assert state.helper_callers == plain
    # (what the plain read finds, corners included: a non-ASCII byte before the name, `def` then several blanks)
    assert plain["serve"] == ("app/util.py",)
    assert plain["helper"] == ("app/caf\u00e9.py", "app/defs.py", "app/views.py")


def test_the_route_call_pattern_finds_what_the_look_behind_first_pattern_finds():
    import re

    from threatscan.lang.python.dataflow.module import _ROUTE_CALL_TEXT

    plain = re.compile(rb"(?<!\w)(?:path|re_path|url)(?:[\s)]|\\(?:\r\n|\r|\n)|#[^\r\n]*)*\(")
    texts = [b"path(", b"xpath(", b"_url (", b"url\\\n(", b"re_path  #c\n (", b"\xc3\xa9url(", b"1url(", b"(url)(",
             b"re_path)(", b"rre_path(", b"p", b"", b"url", b"path#x\r\n\t(",
             b"urlpatterns = [path('a', v), url(r'^b', w)]",
             b"get_url(x); self.path (y); re_path\\\r\n(z); u(r'l'); purl(1); .url(2)"]
    for text in texts:
        assert [m.span() for m in _ROUTE_CALL_TEXT.finditer(text)] == [m.span() for m in plain.finditer(text)], text
