"""Code execution: shells, processes, eval and unsafe deserialisation (rules PY101-PY106)."""

from __future__ import annotations

import ast
import re

from ....model import Severity
from ..context import UNKNOWN, PyContext
from ....lang.python.dataflow.module import YAML_SAFE_LOADERS
from ....lang.python.dataflow.values import OPAQUE, join_all
from ....lang.python.dataflow import CONSTANT, SANITIZED, TAINTED, UNKNOWN_SOURCE, UNREACHABLE, Verdict, operand_values, verdict_of
from ..registry import python_check
from ._taint import const_of, label, report_indirect, report_tainted, report_unknown, spec, worst

SUBPROCESS_CALLS = {f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output", "Popen")}
SHELL_STRING_CALLS = {
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput",
    "commands.getstatusoutput", "asyncio.create_subprocess_shell", "os.popen2", "os.popen3", "os.popen4",
    "popen2.popen2", "popen2.popen3", "popen2.popen4", "popen2.Popen3", "popen2.Popen4", "platform.popen",
}
EXEC_CALLS = {f"os.{n}" for n in (
    "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe",
    "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "posix_spawn",
    "posix_spawnp",
)} | {"asyncio.create_subprocess_exec"}
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/zsh", "cmd", "cmd.exe",
          "powershell", "pwsh", "/usr/bin/sh"}

DESERIALISERS = {
    *(f"{m}.{f}" for m in ("pickle", "cPickle", "_pickle", "dill") for f in ("load", "loads", "Unpickler")),
    "marshal.load", "marshal.loads", "shelve.open", "shelve.DbfilenameShelf", "jsonpickle.decode",
    "jsonpickle.unpickler.decode", "pandas.read_pickle", "joblib.load",
}
YAML_ALWAYS_UNSAFE = {"yaml.unsafe_load", "yaml.unsafe_load_all", "yaml.full_load", "yaml.full_load_all"}


def _command_arg(call: ast.Call, ctx: PyContext) -> ast.AST | None:
    if call.args:
        return call.args[0]
    return ctx.kwarg(call, "args") or ctx.kwarg(call, "cmd") or ctx.kwarg(call, "command")


def _by_verdict(ctx: PyContext, call: ast.Call, node: ast.AST | None, family: str, name: str, tainted: str,
                unknown: str, *, unknown_severity: Severity | None = None) -> None:
    """Report a sink by what reaches `node`: untrusted data (the rule's severity, with the path; `{label}` in
    `tainted` names the source), or a value built at run time whose origin is not visible (a review finding). A
    constant or sanitised value is no finding of these rules (a shell's constant command is PY107's)."""
    verdict = ctx.taint_verdict(node, family) if node is not None else None
    if verdict is not None and verdict.state == UNREACHABLE:
        return
    if verdict is not None and verdict.state == TAINTED:
        report_tainted(ctx, call, verdict, tainted.format(label=label(verdict)), name)
    elif node is not None and (verdict is not None and verdict.state in (CONSTANT, SANITIZED) or ctx.is_constant(node)):
        return
    elif node is not None and family == "shell" and (_quoted_parts(ctx, node, family) or _passed_through(ctx, node)):
        return
    else:
        report_unknown(ctx, call, unknown, severity=unknown_severity)


def _quoted_parts(ctx: PyContext, node: ast.AST, family: str) -> bool:
    """Every part of the command that is not constant text goes through a sanitiser of this family
    (`"ping " + shlex.quote(name)`), whatever its origin."""
    def clean(part: ast.AST) -> bool:
        if isinstance(part, ast.Constant):
            return True
        if isinstance(part, ast.JoinedStr):
            return all(clean(v.value) if isinstance(v, ast.FormattedValue) else clean(v) for v in part.values)
        if isinstance(part, ast.BinOp) and isinstance(part.op, (ast.Add, ast.Mod)):
            return clean(part.left) and clean(part.right)
        if isinstance(part, (ast.Tuple, ast.List)):
            return all(clean(e) for e in part.elts)
        if isinstance(part, ast.Call):
            method = part.func.attr if isinstance(part.func, ast.Attribute) else None
            if method in ("format", "join") and isinstance(part.func, ast.Attribute) and clean(part.func.value):
                return all(clean(a) for a in part.args) and all(clean(k.value) for k in part.keywords)
            families = spec().sanitizers.match(ctx.call_name(part), method) or frozenset()
            return family in families
        return False

    return not isinstance(node, ast.Constant) and clean(node)


# A shell given the rest of its command line (`bash -c `, `fish -ic `, `cmd /c `): what follows is a whole command.
_COMMAND_FLAG = re.compile(r"(?:^|\s)(?:-[a-z]*c|/c|-command)\s*$", re.I)


def _passed_through(ctx: PyContext, node: ast.AST) -> bool:
    """A function that hands the command it is given to a shell's command flag (`os.system("fish -ic " +
    command)`): running commands is what it is for, and the data flow follows its callers, where untrusted data
    passed in is reported. (A bare `os.system(command)` stays a review finding: a shell is used where a list of
    arguments may do.)"""
    fn = ctx.function
    if fn is None:
        return False
    args = fn.args  # type: ignore[attr-defined]
    params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]} - {"self", "cls"}

    def param(n: ast.AST) -> bool:  # the parameter itself, never rebound in the function
        return isinstance(n, ast.Name) and n.id in params \
            and all(b is None for b in ctx.module.bindings(fn).get(n.id) or [None])

    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and param(node.right):
        prefix = ctx.const(node.left)
        return isinstance(prefix, str) and bool(_COMMAND_FLAG.search(prefix))
    return False


def _command(ctx: PyContext, call: ast.Call, node: ast.AST | None, family: str, name: str, how: str,
             note: str = "") -> None:
    _by_verdict(ctx, call, node, family, name,
                f"Command injection: `{name}` runs a command built from {{label}} {how}{note}.",
                f"Command execution: `{name}` runs a command built at run time {how}{note}; no untrusted "
                "source is visible.")


def _shell_command_node(ctx: PyContext, call: ast.Call) -> tuple[str, ast.AST | None] | None:
    """(name, command) of a call that hands a string to a shell, else None."""
    name = ctx.call_name(call)
    if name in SHELL_STRING_CALLS:
        return name, _command_arg(call, ctx)
    if name in SUBPROCESS_CALLS:
        shell = ctx.kwarg(call, "shell")
        if shell is not None and ctx.truthy(shell) is True:
            return name, _command_arg(call, ctx)
    return None


@python_check("PY101", ast.Call, raise_in_handler=True)
def subprocess_shell_true(call: ast.Call, ctx: PyContext) -> None:
    if ctx.call_name(call) not in SUBPROCESS_CALLS:
        return
    shell = ctx.kwarg(call, "shell")
    if shell is None or ctx.truthy(shell) is False:
        return
    unsure = " (the value of `shell` is not known statically)" if ctx.truthy(shell) is None else ""
    if unsure and not _parameter_flag(ctx, shell):
        # `shell=some_setting` that nothing here shows true: like CodeQL, assume the default (no shell) rather
        # than reporting every command as shell-built; a flag the caller passes is followed (`shell=flag`)
        verdict = ctx.taint_verdict(_command_arg(call, ctx), "shell") if _command_arg(call, ctx) is not None else None
        if verdict is None or verdict.state != TAINTED:
            return
    _command(ctx, call, _command_arg(call, ctx), "shell", ctx.call_name(call) or "subprocess", "through a shell", unsure)


def _parameter_flag(ctx: PyContext, node: ast.AST) -> bool:
    fn = ctx.function
    if fn is None or not isinstance(node, ast.Name):
        return False
    args = fn.args  # type: ignore[attr-defined]
    return node.id in {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


@python_check("PY102", ast.Call, raise_in_handler=True)
def os_shell_command(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name not in SHELL_STRING_CALLS:
        if name not in SUBPROCESS_CALLS:
            report_indirect(ctx, call, "shell", "Command injection: untrusted data passed to `{helper}` reaches "
                                                "`{sink}`, which runs it through a shell.")
        return
    _command(ctx, call, _command_arg(call, ctx), "shell", name, "through a shell")


@python_check("PY107", ast.Call)
def shell_constant_command(call: ast.Call, ctx: PyContext) -> None:
    """The hygiene point that remains when a shell runs a command proven constant or quoted: not an injection."""
    found = _shell_command_node(ctx, call)
    if found is None or found[1] is None:
        return
    name, node = found
    verdict = ctx.taint_verdict(node, "shell")
    quoted = verdict.state == UNKNOWN_SOURCE and _quoted_parts(ctx, node, "shell")
    if verdict.state in (CONSTANT, SANITIZED) or quoted or (verdict.state == UNKNOWN_SOURCE and ctx.is_constant(node)):
        what = "quoted" if verdict.state == SANITIZED or quoted else "constant"
        ctx.report(call, f"Shell use: `{name}` runs a {what} command through a shell; a list of arguments without a "
                         "shell does the same without the shell's parsing.", properties={"dataflow": verdict.state})


@python_check("PY103", ast.Call, raise_in_handler=True)
def process_dynamic_program(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name in SUBPROCESS_CALLS:
        shell = ctx.kwarg(call, "shell")
        if shell is not None and ctx.truthy(shell) is not False:
            return  # PY101's business
        command = _command_arg(call, ctx)
        if command is None:
            return
        verdict = ctx.taint_verdict(command, "process")
        if verdict.state == UNREACHABLE:
            return
        elements = _element_values(ctx, command, verdict)
        if elements is not None:
            _list_command(ctx, call, name, command, elements)
        elif verdict.state == TAINTED and not _fixed_program(ctx, command) and not _arguments_only(ctx, command):
            report_tainted(ctx, call, verdict, f"Command injection: `{name}` runs a command taken from "
                                               f"{label(verdict)}.", name)
        elif verdict.state == UNKNOWN_SOURCE and not ctx.is_constant(command) and not _fixed_program(ctx, command):
            report_unknown(ctx, call, f"Command execution: `{name}` runs a command whose program is not known "
                                      "statically.")
    elif name in EXEC_CALLS:
        program = call.args[0] if call.args else None
        if name.startswith("os.spawn") and len(call.args) > 1:
            program = call.args[1]
        verdict = ctx.taint_verdict(program, "process") if program is not None else None
        if verdict is not None and verdict.state == UNREACHABLE:
            return
        if verdict is not None and verdict.state == TAINTED:
            report_tainted(ctx, call, verdict, f"Command injection: `{name}` runs a program chosen by "
                                               f"{label(verdict)}.", name)
        elif program is not None and verdict is not None and verdict.state not in (CONSTANT, SANITIZED) \
                and not ctx.is_constant(program):
            report_unknown(ctx, call, f"Command execution: `{name}` runs a program chosen at run time; no "
                                      "untrusted source is visible.")
        elif name == "asyncio.create_subprocess_exec" or name.startswith("os.exec") or name.startswith("os.spawn"):
            args = call.args[1:] if not name.startswith("os.spawn") else call.args[2:]
            if program is not None and str(const_of(ctx, program)).rsplit("/", 1)[-1] in SHELL_NAMES:
                consts = [const_of(ctx, a) for a in args]
                if any(c == "-c" for c in consts) and any(c is UNKNOWN for c in consts):
                    _shell_c(ctx, call, name, [a for a, c in zip(args, consts) if c is UNKNOWN])


SHELL_NAMES = {s.rsplit("/", 1)[-1] for s in SHELLS}
SHELL_FLAGS = {"-c", "/c", "/C", "-lc", "-ic", "-Command", "-command"}


def _fixed_program(ctx: PyContext, command: ast.AST) -> bool:
    """A string command without a shell whose program is a constant word: `"ping " + host` runs `ping` (or
    nothing), whatever `host` holds; at worst an argument is added, never another program."""
    node = ctx.resolve(command)
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        node = ctx.resolve(node.left)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        node = node.func.value
    if isinstance(node, ast.JoinedStr):
        node = node.values[0] if node.values else None
    text = ctx.const(node) if node is not None else UNKNOWN
    return isinstance(text, str) and bool(text.strip()) and any(c.isspace() for c in text.lstrip()) \
        and "%" not in text.split()[0] and "{" not in text.split()[0]


def _arguments_only(ctx: PyContext, command: ast.AST) -> bool:
    """A list command joined from a head the data flow cannot list and a literal (`self.docker + ["inspect", cid]`)
    whose untrusted data can only be arguments: the program is the head's first element, or, were the head empty, the
    literal's first, and neither is tainted. Without a shell, request data among the arguments adds an argument to
    a fixed program, never another program (as for a literal list, see _list_command)."""
    node = ctx.resolve(command)
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return False
    right = ctx.resolve(node.right)
    if not isinstance(right, (ast.List, ast.Tuple)) or not right.elts or isinstance(right.elts[0], ast.Starred):
        return False
    values = operand_values(ctx, node)
    if values is None or values[1].elts is None or not values[1].elts:
        return False
    return all(verdict_of(v, "process").state != TAINTED for v in (values[0], values[1].elts[0]))


def _element_values(ctx: PyContext, command: ast.AST, verdict) -> list | None:
    """The elements of a list command as (node or None, abstract value or None), from the data-flow value when
    there is one (so appended and popped elements count), else from the literal."""
    value = verdict.value
    if value is not None and value.elts is not None:
        return [(None, e) for e in value.elts]
    node = ctx.resolve(command)
    if isinstance(node, (ast.List, ast.Tuple)):
        return [(e, None) for e in node.elts]
    return None


def _list_command(ctx: PyContext, call: ast.Call, name: str, command: ast.AST, elements: list) -> None:
    def const(item):
        node, value = item
        if value is not None:
            return value.const
        return const_of(ctx, node)

    def options(item) -> set:
        """The constants an element may be: one, or a few joined from branches (`argv = ["sh", "-c"]` on one,
        `["cmd.exe", "/c"]` on the other)."""
        node, value = item
        if value is not None and value.choices:
            return set(value.choices)
        c = const(item)
        return {c} if c is not UNKNOWN and c is not OPAQUE else set()

    if not elements:
        return
    program = const(elements[0])
    consts = [const(e) for e in elements[1:]]
    shell = any(isinstance(p, str) and p.replace("\\", "/").rsplit("/", 1)[-1].lower() in SHELL_NAMES
                for p in options(elements[0]))
    flag = any(o in SHELL_FLAGS for e in elements[1:] for o in options(e))
    if shell and flag and any(c is UNKNOWN for c in consts):
        verdict = _verdict_of_items(ctx, elements[1:], "shell")
        if verdict.state == TAINTED:
            report_tainted(ctx, call, verdict, f"Command injection: `{name}` starts a shell with `-c` and a "
                                               f"command built from {label(verdict)}.", name)
        elif verdict.state in (CONSTANT, SANITIZED):
            return
        else:
            report_unknown(ctx, call, f"Command execution: `{name}` starts a shell with `-c` and a command "
                                      "built at run time; no untrusted source is visible.", severity=Severity.HIGH)
        return
    if program is UNKNOWN:
        verdict = _verdict_of_items(ctx, elements[:1], "process")
        if verdict.state == TAINTED:
            report_tainted(ctx, call, verdict, f"Command injection: `{name}` runs a program chosen by "
                                               f"{label(verdict)}.", name)
        elif verdict.state == UNKNOWN_SOURCE:
            report_unknown(ctx, call, f"Command execution: `{name}` runs a program chosen at run time; no "
                                      "untrusted source is visible.")


def _verdict_of_items(ctx: PyContext, items: list, family: str):
    values = []
    for node, value in items:
        if value is None:
            v = ctx.taint_verdict(node, family)
            if v.value is None and v.state == UNKNOWN_SOURCE:
                if ctx.is_constant(node):
                    continue
                return v
            value = v.value
        values.append(value)
    if not values or all(v.known for v in values):
        return _constant_verdict()
    return verdict_of(join_all(values), family)


def _constant_verdict():
    return Verdict(CONSTANT)


def _shell_c(ctx: PyContext, call: ast.Call, name: str, dynamic: list[ast.AST]) -> None:
    verdict = worst(ctx, dynamic, "shell")
    if verdict is not None and verdict.state == TAINTED:
        report_tainted(ctx, call, verdict, f"Command injection: `{name}` starts a shell with `-c` and a "
                                           f"command built from {label(verdict)}.", name)
    elif verdict is not None and verdict.state in (CONSTANT, SANITIZED, UNREACHABLE):
        return
    else:
        report_unknown(ctx, call, f"Command execution: `{name}` starts a shell with `-c` and a command built "
                                  "at run time; no untrusted source is visible.", severity=Severity.HIGH)


@python_check("PY104", ast.Call, raise_in_handler=True)
def eval_dynamic_code(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name not in ("eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile"):
        report_indirect(ctx, call, "code", "Code injection: untrusted data passed to `{helper}` reaches "
                                           "`{sink}` as code.")
        return
    source = call.args[0] if call.args else ctx.kwarg(call, "source")
    if source is None or ctx.is_constant(source):
        return
    if isinstance(source, ast.Call) and ctx.call_name(source) in ("compile", "builtins.compile"):
        return  # exec(compile(x)): the compile call is the one reported
    short = name.split(".")[-1]
    verdict = ctx.taint_verdict(source, "code")
    if verdict.state == TAINTED:
        report_tainted(ctx, call, verdict, f"Code injection: `{short}` evaluates code built from "
                                           f"{label(verdict)}.", short)
    elif verdict.state == UNKNOWN_SOURCE and not _code_generation(ctx, source):
        report_unknown(ctx, call, f"Code execution: `{short}` evaluates code built at run time; no "
                                  "untrusted source is visible.")


# Line-anchored, indentation without new lines: linear on long runs of blank lines.
CODE_TEMPLATE = re.compile(r"(?m)^[ \t]*(?:async[ \t]+def|def|class)\s|\blambda\b")


def _code_generation(ctx: PyContext, source: ast.AST) -> bool:
    """Frameworks' code-generation idioms, for a value whose origin is not visible: a syntax tree built with `ast`
    (`compile(ast.parse(...))`), a code object parameter (`def run(code: CodeType)`), the text of a file the
    program opens itself (`exec(compile(f.read(), filename, "exec"))`: configuration and startup files), or a
    function or class definition assembled from constant text and names (`exec(f"def {name}(self): ...")`)."""
    node = ctx.resolve(source)
    if node is None:
        return False
    if isinstance(source, ast.Name) and ctx.function is not None:
        for arg in [*ctx.function.args.posonlyargs, *ctx.function.args.args, *ctx.function.args.kwonlyargs]:
            if arg.arg == source.id and arg.annotation is not None and \
                    (ctx.qualname(arg.annotation) or "").rsplit(".", 1)[-1] in ("CodeType", "Module", "AST"):
                return True
    if isinstance(node, ast.Call):
        callee = ctx.call_name(node) or ""
        if callee.startswith("ast."):
            return True
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "read" and not node.args:
            return _opened_file(ctx, func.value)
    text = "".join(str(c.value) for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return bool(CODE_TEMPLATE.search(text))


def _opened_file(ctx: PyContext, handle: ast.AST) -> bool:
    """`f` bound by `with open(...) as f` or `f = open(...)` in this function."""
    if isinstance(handle, ast.Call):
        return (ctx.call_name(handle) or "") in ("open", "builtins.open", "io.open")
    if not isinstance(handle, ast.Name) or ctx.function is None:
        return False
    for node in ctx.module.walk(ctx.function):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == handle.id \
                        and isinstance(item.context_expr, ast.Call) \
                        and (ctx.call_name(item.context_expr) or "") in ("open", "builtins.open", "io.open"):
                    return True
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == handle.id for t in node.targets):
            if isinstance(node.value, ast.Call) and (ctx.call_name(node.value) or "") in ("open", "builtins.open", "io.open"):
                return True
    return False


def _data_sink(ctx: PyContext, call: ast.Call, name: str, message: str, *, data: ast.AST | None = None,
               unknown_severity: Severity | None = None) -> None:
    """Deserialisers: untrusted data is the rule's severity (with the path), data of unknown origin a review
    finding, constant data no finding."""
    if data is None:
        data = call.args[0] if call.args else None
        for key in ("data", "file", "stream", "filename", "string", "s"):
            if data is None:
                data = ctx.kwarg(call, key)
    _by_verdict(ctx, call, data, "deserialise", name,
                f"Code execution: `{name}` {message}, and the data comes from {{label}}.",
                f"Code execution: `{name}` {message}; where the data comes from is not visible.",
                unknown_severity=unknown_severity)


@python_check("PY105", ast.Call, raise_in_handler=True)
def unsafe_deserialisation(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name not in DESERIALISERS:
        if not (name or "").startswith("yaml."):
            report_indirect(ctx, call, "deserialise", "Code execution: untrusted data passed to `{helper}` "
                                                      "reaches `{sink}`, which can run code chosen by its author.")
        return
    _data_sink(ctx, call, name, "can run code chosen by whoever produced the data")


def _safe_loader(node: ast.AST | None, ctx: PyContext, depth: int = 0) -> bool:
    """A loader known to be safe: yaml's safe loaders by name, `getattr(yaml, "CSafeLoader", yaml.SafeLoader)`
    (every candidate safe), or a class of this module deriving from a safe loader."""
    if node is None or depth > 6:
        return False
    node = ctx.resolve(node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr" \
            and 2 <= len(node.args) <= 3 and ctx.qualname(node.args[0]) == "yaml":
        name = ctx.const(node.args[1])
        default_safe = len(node.args) == 2 or _safe_loader(node.args[2], ctx, depth + 1)
        return isinstance(name, str) and name in YAML_SAFE_LOADERS and default_safe
    if isinstance(node, ast.Name):  # a class of this module (defined once at the top level, or in this function)
        scope = ctx.function.body if ctx.function is not None else []
        classes = [c for c in [*ctx.module.tree.body, *scope] if isinstance(c, ast.ClassDef) and c.name == node.id]
        node = classes[0] if len(classes) == 1 else node
    if isinstance(node, ast.ClassDef):
        return bool(node.bases) and all(_safe_loader(b, ctx, depth + 1) for b in node.bases)
    name = ctx.qualname(node) or ""
    return (name.startswith("yaml.") or "." not in name) and name.rsplit(".", 1)[-1] in YAML_SAFE_LOADERS


@python_check("PY106", ast.Call, raise_in_handler=True)
def yaml_unsafe_load(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name in YAML_ALWAYS_UNSAFE:
        _data_sink(ctx, call, name, "can build arbitrary Python objects from the document")
        return
    if name not in ("yaml.load", "yaml.load_all"):
        return
    loader = ctx.kwarg(call, "Loader")
    if loader is None and len(call.args) > 1:
        loader = call.args[1]
    if loader is None:
        _data_sink(ctx, call, name, "without a safe Loader can build arbitrary Python objects")
        return
    if _safe_loader(loader, ctx):
        return
    loader_name = ctx.qualname(ctx.resolve(loader)) or ""
    if loader_name.startswith("yaml.") or loader_name in ("Loader", "UnsafeLoader", "FullLoader"):
        _data_sink(ctx, call, name, f"with `{loader_name}` can build arbitrary Python objects")
    else:
        _data_sink(ctx, call, name, "with a loader that is not known to be safe", unknown_severity=Severity.MEDIUM)
