"""Template autoescaping switched off (rule PY407): Jinja2, Flask's Jinja2 options and Django's template engines.

Jinja2 escapes nothing unless told to: `Environment()` (and `SandboxedEnvironment()`) without `autoescape`,
`autoescape=False`, a `select_autoescape(...)` whose enabled extensions leave out `.html`/`.htm` (or that disables
them), `Template(..., autoescape=False)`, and `env.autoescape = False` on an environment or Flask's
`app.jinja_env`. The `autoescape` value is read through `**options` when the mapping is visible; a value that is
not known statically (a setting, a function of the template name, `**kwargs` from a caller) is neither called safe
nor reported. Test modules are left alone.
Django's engines (and its Jinja2 backend) escape by default: only an explicit `autoescape` off is reported there, in
`TEMPLATES = [{..., "OPTIONS": {"autoescape": False}}]` or `django.template.Engine(autoescape=False)`; likewise
Flask's `app.jinja_options = {..., "autoescape": False}`.
"""

from __future__ import annotations

import ast
import re

from ....lang.python.dataflow.spec import load_spec
from ....model import Severity
from ..context import PyContext
from ..registry import python_check
from ._web import Arg, argument, imports_from, is_test_path

ENVIRONMENTS = frozenset({
    "jinja2.Environment", "jinja2.environment.Environment", "jinja2.sandbox.SandboxedEnvironment",
    "jinja2.sandbox.ImmutableSandboxedEnvironment",
})
TEMPLATES = frozenset({"jinja2.Template", "jinja2.environment.Template"})  # judged only when autoescape is given
DJANGO_ENGINES = frozenset({"django.template.Engine", "django.template.engine.Engine"})  # autoescape=True default
SELECT_AUTOESCAPE = frozenset({"jinja2.select_autoescape", "jinja2.utils.select_autoescape"})
# Environment(block_start_string, ..., autoescape) : autoescape is the 17th positional parameter.
AUTOESCAPE_POSITION = 16
HTML_EXTENSIONS = frozenset({"html", "htm"})
XSS = "Cross-site scripting"


@python_check("PY407", ast.Call, ast.Assign, raise_in_handler=False)
def template_autoescape_off(node: ast.AST, ctx: PyContext) -> None:
    if is_test_path(ctx.file.rel):
        return
    if isinstance(node, ast.Assign):
        _assigned_off(node, ctx)
        return
    call: ast.Call = node  # type: ignore[assignment]
    name = ctx.call_name(call)
    if name in TEMPLATES or name in DJANGO_ENGINES:
        value = ctx.kwarg(call, "autoescape")
        if value is not None and not _off_without_pages(ctx, call, value, name.rsplit(".", 1)[-1]):
            _judge(ctx, call, value, f"`{name.rsplit('.', 1)[-1]}`")
        return
    if name not in ENVIRONMENTS:
        return
    shown = name.rsplit(".", 1)[-1]
    arg = argument(call, ctx, "autoescape", AUTOESCAPE_POSITION)
    if arg.state == Arg.ABSENT:
        why = _no_page(ctx, call)
        if why:
            ctx.report(call, f"{XSS}: `{shown}` is created without `autoescape` (Jinja2's default is off), but {why}",
                       severity=Severity.LOW, precision="low")
            return
        ctx.report(call, f"{XSS}: `{shown}` is created without `autoescape`, and Jinja2's default is off, so "
                         "every value a template prints goes into the page unescaped; a `<script>` in it runs in "
                         "the user's session.")
    elif arg.state != Arg.UNKNOWN and not _off_without_pages(ctx, call, arg.node, shown):
        _judge(ctx, call, arg.node, f"`{shown}`")


def _off_without_pages(ctx: PyContext, call: ast.Call, value: ast.AST | None, shown: str) -> bool:
    """Report, at low severity, an explicit `autoescape=False` of an environment or engine that renders no page
    (_no_page, with this environment's own loaders deciding whether a module showing no HTML counts: pooled verdicts
    §3n-§3v, 3 of 3 false, SQL files, terminal text, Markdown; the true ones were environments of modules that render
    pages). Whether it reported."""
    why = _no_page(ctx, call, direct=_loads_pages(ctx, call)) if ctx.truthy(value) is False else None
    if why:
        ctx.report(call, f"{XSS}: `{shown}` is created with `autoescape` off, but {why}", severity=Severity.LOW,
                   precision="low")
    return bool(why)


def _no_page(ctx: PyContext, call: ast.Call, direct: bool = False) -> str | None:
    """Why the environment `call` creates renders no page (the rest of a low finding's message), or None: the
    templates it is seen to load are not HTML, it only checks or expands template strings whose text is no response,
    it moves Jinja's `{{ }}` delimiters (as generators of code and templates do, whose output keeps `{{` of its
    own), or (unless `direct`: evidence about this environment only) nothing in the module shows HTML."""
    loaded = _loaded_templates(ctx, call)
    if loaded and not any(HTML_TEMPLATE.search(t) for t in loaded):
        names = ", ".join(f"`{t}`" for t in sorted(loaded)[:3])
        return (f"the templates it is seen to load ({names}) are not HTML: a configuration file or code generator "
                "rightly leaves escaping off. Low: review if it ever renders a page.")
    unserved = _string_templates_kept_in(ctx, call)
    if unserved:
        return f"it only {unserved}: no page is rendered with it. Low: review if its output ever becomes HTML."
    moved = ctx.const(ctx.kwarg(call, "variable_start_string"))
    if isinstance(moved, str) and moved != "{{":
        return (f"it prints values between `{moved}` delimiters instead of Jinja's `{{{{ }}}}`, as a generator of code, "
                "configuration or templates does (its output keeps `{{` of its own). Low: review if it ever "
                "renders a page.")
    if not direct and not _renders_html(ctx):
        return ("nothing in this module shows it renders HTML (no `.html` template, no HTML text, no Flask app), so "
                "this is low: code, configuration and text generators rightly leave escaping off.")
    if (ctx.call_name(call) or "").endswith("SandboxedEnvironment") and not PAGE_HINT.search(ctx.file.text()) \
            and not imports_from(ctx, "flask", "quart"):
        return ("it is a sandboxed environment, made to render template text its users write (prompts, queries, "
                "messages), and nothing in this module names an HTML template or content type. Low: review if its "
                "output ever becomes a page.")
    return None


# A loader's directory named for a kind of text that is no page (`FileSystemLoader(config.lib_dir.sql)`)
NOT_PAGE_DIR = re.compile(r"\b(?:sql|ya?ml|conf|config|cfg|ini|json|txt|text|md|markdown|latex|tex|code|scripts?)\b",
                          re.I)
LOADER_KEYWORDS = ("loader", "dirs")


def _loads_pages(ctx: PyContext, call: ast.Call) -> bool:
    """Whether the environment (or Django `Engine`) `call` makes with `autoescape` off may load page templates from
    files: a loader or template directories given to it (`loader=`, `dirs=`) or set on it in the same function
    (`env.loader = FileSystemLoader(folders)`: a mailer's helper for HTML e-mails loaded elsewhere, c7n-mailer,
    judged true), unless the loader's directory is named for text that is no page (SQL, configuration, Markdown).
    Without one it renders template strings its code hands it (a formatter of terminal text or citations: papis,
    §3o; Markdown fields: sysreptor, §3r), and a module showing no HTML then lowers the finding."""
    loaders = [kw.value for kw in call.keywords if kw.arg in LOADER_KEYWORDS]
    parent = ctx.module.parents().get(id(call))
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and ctx.function is not None:
        holder = ast.unparse(parent.targets[0])
        loaders += [node.value for node in ast.walk(ctx.function) if isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Attribute) and t.attr == "loader" and ast.unparse(t.value) == holder
                            for t in node.targets)]
    return any(not NOT_PAGE_DIR.search(ast.unparse(loader)) for loader in loaders
               if not (isinstance(loader, (ast.List, ast.Tuple)) and not loader.elts))  # (`dirs=[]`: none)


# What names a page, more strictly than HTML_HINT (HTML text can be a PDF header or an e-mail snippet): an `.html`
# template's name or the HTML content type.
PAGE_HINT = re.compile(r"""["'][^"'\s]*\.html?["']|text/html""", re.I)


HTML_TEMPLATE = re.compile(r"\.(?:x?html?|xml|svg)(?:\.|$)|^[^.]*$", re.I)  # `page.html`, `mail.html.j2`, no extension
LOADERS = frozenset({"get_template", "select_template", "get_or_select_template"})


def _loaded_templates(ctx: PyContext, call: ast.Call) -> set[str]:
    """The names of the templates the environment `call` creates is seen to load in this module, when it is bound
    to a name or an attribute (`env = Environment(...)`; `env.get_template("config.cfg.template")`) and every load
    names its template(s) by constants; else the empty set (nothing known)."""
    parent = ctx.module.parents().get(id(call))
    if not (isinstance(parent, ast.Assign) and len(parent.targets) == 1
            and isinstance(parent.targets[0], (ast.Name, ast.Attribute))):
        return set()
    holder = ast.unparse(parent.targets[0])
    names: set[str] = set()
    for node in ast.walk(ctx.function if ctx.function is not None else ctx.module.tree):
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) == holder and isinstance(node.ctx, ast.Load):
            up = ctx.module.parents().get(id(node))
            if node.attr not in LOADERS or not (isinstance(up, ast.Call) and up.func is node and up.args):
                return set()  # the environment is used another way (from_string, handed on): not known
            value = ctx.const(up.args[0])
            value = [value] if isinstance(value, str) else value
            if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, str) for v in value):
                return set()
            names.update(value)
    return names


HTML_TAG = re.compile(r"<[a-z][a-z0-9]*[\s/>]", re.I)
# What takes a response body: the data-flow spec's HTML sinks, by the name a call is written with (`Response`,
# `Markup`, `mark_safe`, `render_template_string`, `from_string`), and a Tornado handler's `write`/`finish`.
HANDLER_WRITES = frozenset({"write", "finish"})


def _string_templates_kept_in(ctx: PyContext, call: ast.Call) -> str | None:
    """What a function-local environment is used for when every use is `env.from_string(...)` and no rendered text
    leaves the function as a response body (returned as it is, or handed to a response, `Markup` or a handler's
    `write`): "checks the syntax of a template string" or "renders template strings whose text stays inside the
    function or goes out inside a data structure (JSON)"; else None (nothing known: the usual judgement)."""
    fn = ctx.function
    parent = ctx.module.parents().get(id(call))
    if fn is None or not (isinstance(parent, ast.Assign) and len(parent.targets) == 1
                          and isinstance(parent.targets[0], ast.Name)):
        return None
    env, templates, rendered = parent.targets[0].id, set(), set()
    renders = False
    parents = ctx.module.parents()
    for node in ast.walk(fn):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)):
            continue
        attr = parents.get(id(node))
        up = parents.get(id(attr))
        if node.id == env:
            if not (isinstance(attr, ast.Attribute) and attr.attr == "from_string" and isinstance(up, ast.Call)
                    and up.func is attr):
                return None
            source = ctx.const(up.args[0]) if up.args else None
            if isinstance(source, str) and HTML_TAG.search(source):
                return None  # an HTML template written in the module
            holder = parents.get(id(up))
            if isinstance(holder, ast.Assign) and len(holder.targets) == 1 and isinstance(holder.targets[0], ast.Name):
                templates.add(holder.targets[0].id)
            elif isinstance(holder, ast.Attribute) and holder.attr == "render":
                renders = True
                if not _kept(parents.get(id(holder)), parents, rendered):
                    return None
            elif not isinstance(holder, ast.Expr):
                return None
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in templates:
            attr = parents.get(id(node))
            if not (isinstance(attr, ast.Attribute) and attr.attr == "render"):
                return None
            renders = True
            if not _kept(parents.get(id(attr)), parents, rendered):
                return None
    grown = True
    while grown:  # names the rendered text is copied or concatenated into
        grown = False
        for node in ast.walk(fn):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in rendered:
                if _served(node, parents):
                    return None
                _, holder = _climb(node, parents)
                if isinstance(holder, ast.Assign) and len(holder.targets) == 1 \
                        and isinstance(holder.targets[0], ast.Name) and holder.targets[0].id not in rendered:
                    rendered.add(holder.targets[0].id)
                    grown = True
    return ("renders template strings whose text stays in the function or leaves it inside a data structure "
            "(JSON, a query)") if renders else "checks that template strings parse (`from_string` without `render`)"


def _kept(render: ast.AST | None, parents, rendered: set[str]) -> bool:
    """The `.render(...)` call `render` is bound to a plain name (added to `rendered`) or used where it is not a
    response body; False when it is returned or handed to a response, as it is or inside a string built from it."""
    if not isinstance(render, ast.Call):
        return False
    _, holder = _climb(render, parents)
    if isinstance(holder, ast.Assign) and len(holder.targets) == 1 and isinstance(holder.targets[0], ast.Name):
        rendered.add(holder.targets[0].id)
        return True
    return not _served(render, parents)


STRING_BUILDING = (ast.BinOp, ast.JoinedStr, ast.FormattedValue, ast.IfExp)


def _climb(value: ast.AST, parents) -> tuple[ast.AST, ast.AST | None]:
    """The largest string expression built from `value` (`"<p>" + value`, an f-string, a conditional) and what
    holds it."""
    holder = parents.get(id(value))
    while isinstance(holder, STRING_BUILDING):
        value, holder = holder, parents.get(id(holder))
    return value, holder


def _served(value: ast.AST, parents) -> bool:
    """`value` (or a string built from it) is returned or yielded as it is, or handed (positionally or by keyword)
    to a response constructor, `Markup`, a handler's `write` or a template renderer (`render_template(...,
    body=value)`: the page may print it unescaped)."""
    value, holder = _climb(value, parents)
    if isinstance(holder, (ast.Return, ast.Yield, ast.YieldFrom, ast.Await)):
        return True
    if isinstance(holder, ast.keyword):
        holder = parents.get(id(holder))
    elif not (isinstance(holder, ast.Call) and value in holder.args):
        return False
    if not isinstance(holder, ast.Call):
        return False
    func = holder.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in HANDLER_WRITES or name.startswith("render") or name in load_spec().sink_short_names.get("html", ())


HTML_HINT = re.compile(r"""["'][^"'\s]*\.html?["']|<html|text/html|<(?:p|div|span|body|table)\b""", re.I)


def _renders_html(ctx: PyContext) -> bool:
    """Evidence that the module's templates are HTML: an `.html` template name, HTML text or content type, or a
    Flask/Quart app (whose own Jinja environment renders pages)."""
    return bool(HTML_HINT.search(ctx.file.text())) or imports_from(ctx, "flask", "quart")


def _judge(ctx: PyContext, where: ast.AST, value: ast.AST | None, subject: str) -> None:
    """Report `where` when the `autoescape` value is a constant false or a `select_autoescape` that leaves HTML out."""
    resolved = ctx.resolve(value)
    if isinstance(resolved, ast.Call) and ctx.call_name(resolved) in SELECT_AUTOESCAPE:
        why = _select_leaves_html_out(ctx, resolved)
        if why and _escapes_some(ctx, resolved) and not PAGE_HINT.search(ctx.file.text()):
            # `select_autoescape(["xml"])` for an environment that renders `wms_1.3.0.xml` (TiTiler, §3z): it
            # escapes the kind of document it was made for, and nothing in the module names an HTML template
            ctx.report(where, f"{XSS}: {subject} uses `select_autoescape` {why}, but it escapes the templates it "
                              "names and nothing in this module names an HTML template or content type. Low: review "
                              "if it ever renders a page.", severity=Severity.LOW, precision="low")
        elif why:
            ctx.report(where, f"{XSS}: {subject} uses `select_autoescape` {why}, so HTML templates print values "
                              "unescaped and a `<script>` in them runs in the user's session.")
        return
    if ctx.truthy(value) is False:
        ctx.report(where, f"{XSS}: {subject} has `autoescape` off, so every value a template prints goes into "
                          "the page unescaped; a `<script>` in it runs in the user's session.")


def _extensions(ctx: PyContext, node: ast.AST | None) -> set[str] | None:
    value = ctx.const(node)
    if isinstance(value, str):
        value = (value,)
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return None
    return {v.lstrip(".").lower() for v in value}


def _escapes_some(ctx: PyContext, call: ast.Call) -> bool:
    """`select_autoescape([...])` enables escaping for at least one extension it names (`["xml"]`)."""
    enabled = _extensions(ctx, argument(call, ctx, "enabled_extensions", 0).node)
    return bool(enabled)


def _select_leaves_html_out(ctx: PyContext, call: ast.Call) -> str | None:
    """Why `select_autoescape(...)` does not escape `.html` templates, or None (its defaults escape html, htm, xml)."""
    enabled = argument(call, ctx, "enabled_extensions", 0)
    disabled = argument(call, ctx, "disabled_extensions", 1)
    if enabled.state == Arg.UNKNOWN or disabled.state == Arg.UNKNOWN:
        return None
    on = _extensions(ctx, enabled.node) if enabled.present else set(HTML_EXTENSIONS)
    off = _extensions(ctx, disabled.node) if disabled.present else set()
    if on is None or off is None:
        return None
    if off & HTML_EXTENSIONS:
        return "with `.html` templates among the disabled extensions"
    if not on & HTML_EXTENSIONS:
        return "without `html` among the enabled extensions"
    return None


def _assigned_off(node: ast.Assign, ctx: PyContext) -> None:
    """`env.autoescape = False` on an environment this module creates, or on Flask's `app.jinja_env`; Flask's
    `app.jinja_options` with `autoescape` off; a Django `TEMPLATES` backend with `OPTIONS: {"autoescape": False}`."""
    for target in node.targets:
        if isinstance(target, ast.Name) and target.id == "TEMPLATES" and ctx.function is None:
            _django_templates(node.value, ctx)
            continue
        if isinstance(target, ast.Attribute) and target.attr == "jinja_options":
            value = ctx.mapping_value(node.value, "autoescape")
            if value is not None:
                _judge(ctx, value, value, "Flask's `jinja_options`")
            continue
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute) \
                and target.value.attr == "jinja_options" and ctx.const(target.slice) == "autoescape":
            _judge(ctx, node, node.value, "Flask's `jinja_options`")
            continue
        if not (isinstance(target, ast.Attribute) and target.attr == "autoescape"):
            continue
        owner = target.value
        bound = ctx.resolve(owner)
        if isinstance(owner, ast.Attribute) and owner.attr == "jinja_env":
            _judge(ctx, node, node.value, "Flask's `jinja_env`")
        elif isinstance(bound, ast.Call) and ctx.call_name(bound) in ENVIRONMENTS:
            _judge(ctx, node, node.value, f"the `{ctx.call_name(bound).rsplit('.', 1)[-1]}`")


def _django_templates(value: ast.AST, ctx: PyContext) -> None:
    """Each backend of a Django `TEMPLATES` setting whose `OPTIONS` turn `autoescape` off (both the Django and the
    Jinja2 backend escape by default)."""
    backends = ctx.resolve(value)
    if not isinstance(backends, (ast.List, ast.Tuple)):
        return
    for backend in backends.elts:
        options = ctx.mapping_value(backend, "OPTIONS")
        autoescape = ctx.mapping_value(options, "autoescape") if options is not None else None
        if autoescape is None:
            continue
        kind = ctx.const(ctx.mapping_value(backend, "BACKEND"))
        shown = kind.rsplit(".", 1)[-1] if isinstance(kind, str) else "template"
        _judge(ctx, autoescape, autoescape, f"the `{shown}` backend in `TEMPLATES`")
