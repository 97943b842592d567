"""Code execution: shells, processes, eval and unsafe deserialisation (rules PY101-PY106)."""

from __future__ import annotations

import ast

from ....model import Severity
from ..context import UNKNOWN, PyContext
from ..registry import python_check

SUBPROCESS_CALLS = {f"subprocess.{n}" for n in ("run", "call", "check_call", "check_output", "Popen")}
SHELL_STRING_CALLS = {
    "os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput",
    "commands.getstatusoutput", "asyncio.create_subprocess_shell", "os.popen2", "os.popen3", "os.popen4",
    "popen2.popen2", "popen2.popen3", "popen2.popen4",
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
YAML_SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


def _command_arg(call: ast.Call, ctx: PyContext) -> ast.AST | None:
    if call.args:
        return call.args[0]
    return ctx.kwarg(call, "args") or ctx.kwarg(call, "cmd") or ctx.kwarg(call, "command")


def _by_constness(ctx: PyContext, node: ast.AST | None) -> tuple[Severity | None, str]:
    """Constant commands are a smell, dynamic ones a risk: the severity and precision follow."""
    if node is not None and ctx.is_constant(node):
        return Severity.LOW, "a constant command"
    return None, "a command built at run time"


@python_check("PY101", ast.Call, raise_in_handler=True)
def subprocess_shell_true(call: ast.Call, ctx: PyContext) -> None:
    if ctx.call_name(call) not in SUBPROCESS_CALLS:
        return
    shell = ctx.kwarg(call, "shell")
    if shell is None or ctx.truthy(shell) is False:
        return
    severity, what = _by_constness(ctx, _command_arg(call, ctx))
    unsure = " (the value of `shell` is not known statically)" if ctx.truthy(shell) is None else ""
    ctx.report(call, f"Command execution (ECOM-2): `{ctx.call_name(call)}` runs {what} through a shell{unsure}.",
               severity=severity, precision="low" if severity else None)


@python_check("PY102", ast.Call, raise_in_handler=True)
def os_shell_command(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name not in SHELL_STRING_CALLS:
        return
    severity, what = _by_constness(ctx, _command_arg(call, ctx))
    ctx.report(call, f"Command execution (ECOM-2): `{name}` hands {what} to a shell.",
               severity=severity, precision="low" if severity else None)


@python_check("PY103", ast.Call, raise_in_handler=True)
def process_dynamic_program(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name in SUBPROCESS_CALLS:
        shell = ctx.kwarg(call, "shell")
        if shell is not None and ctx.truthy(shell) is not False:
            return  # PY101's business
        command = _command_arg(call, ctx)
        program = _first_element(ctx, command)
        if _starts_shell(ctx, command):
            ctx.report(call, f"Command execution (ECOM-2): `{name}` starts a shell with `-c` and a command built at run time.",
                       severity=Severity.HIGH)
        elif program is not UNKNOWN and program is not None and not ctx.is_constant(program):
            ctx.report(call, f"Command execution (ECOM-2): `{name}` runs a program chosen at run time.")
        elif program is UNKNOWN and command is not None and not ctx.is_constant(command):
            ctx.report(call, f"Command execution (ECOM-2): `{name}` runs a command whose program is not known statically.",
                       severity=Severity.LOW, precision="low")
    elif name in EXEC_CALLS:
        program = call.args[0] if call.args else None
        if name.startswith("os.spawn") and len(call.args) > 1:
            program = call.args[1]
        if program is not None and not ctx.is_constant(program):
            ctx.report(call, f"Command execution (ECOM-2): `{name}` runs a program chosen at run time.")
        elif name == "asyncio.create_subprocess_exec" or name.startswith("os.exec") or name.startswith("os.spawn"):
            args = call.args[1:] if not name.startswith("os.spawn") else call.args[2:]
            if program is not None and str(ctx.const(program)).rsplit("/", 1)[-1] in {s.rsplit("/", 1)[-1] for s in SHELLS}:
                consts = [ctx.const(a) for a in args]
                if any(c == "-c" for c in consts) and any(c is UNKNOWN for c in consts):
                    ctx.report(call, f"Command execution (ECOM-2): `{name}` starts a shell with `-c` and a command built at run time.",
                               severity=Severity.HIGH)


def _elements(ctx: PyContext, command: ast.AST | None) -> list[ast.AST] | None:
    node = ctx.resolve(command)
    if isinstance(node, (ast.List, ast.Tuple)):
        return list(node.elts)
    return None


def _first_element(ctx: PyContext, command: ast.AST | None):
    elts = _elements(ctx, command)
    if elts is None:
        return UNKNOWN
    return elts[0] if elts else None


def _starts_shell(ctx: PyContext, command: ast.AST | None) -> bool:
    elts = _elements(ctx, command)
    if not elts or len(elts) < 3:
        return False
    program = ctx.const(elts[0])
    if not isinstance(program, str) or program.rsplit("/", 1)[-1] not in {s.rsplit("/", 1)[-1] for s in SHELLS}:
        return False
    consts = [ctx.const(e) for e in elts[1:]]
    return "-c" in consts and any(c is UNKNOWN for c in consts)


@python_check("PY104", ast.Call, raise_in_handler=True)
def eval_dynamic_code(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name not in ("eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile"):
        return
    source = call.args[0] if call.args else ctx.kwarg(call, "source")
    if source is None or ctx.is_constant(source):
        return
    if isinstance(source, ast.Call) and ctx.call_name(source) in ("compile", "builtins.compile"):
        return  # exec(compile(x)): the compile call is the one reported
    ctx.report(call, f"Code execution (ECOM-2): `{name.split('.')[-1]}` evaluates code built at run time.")


@python_check("PY105", ast.Call, raise_in_handler=True)
def unsafe_deserialisation(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name not in DESERIALISERS:
        return
    ctx.report(call, f"Code execution (ECOM-2): `{name}` can run code chosen by whoever produced the data.")


@python_check("PY106", ast.Call, raise_in_handler=True)
def yaml_unsafe_load(call: ast.Call, ctx: PyContext) -> None:
    name = ctx.call_name(call)
    if name in YAML_ALWAYS_UNSAFE:
        ctx.report(call, f"Code execution (ECOM-2): `{name}` can build arbitrary Python objects from the document.")
        return
    if name not in ("yaml.load", "yaml.load_all"):
        return
    loader = ctx.kwarg(call, "Loader")
    if loader is None and len(call.args) > 1:
        loader = call.args[1]
    if loader is None:
        ctx.report(call, f"Code execution (ECOM-2): `{name}` without a safe Loader can build arbitrary Python objects.")
        return
    loader_name = ctx.qualname(ctx.resolve(loader)) or ""
    if loader_name.rsplit(".", 1)[-1] in YAML_SAFE_LOADERS:
        return
    if loader_name.startswith("yaml.") or loader_name in ("Loader", "UnsafeLoader", "FullLoader"):
        ctx.report(call, f"Code execution (ECOM-2): `{name}` with `{loader_name}` can build arbitrary Python objects.")
    else:
        ctx.report(call, f"Code execution (ECOM-2): `{name}` with a loader that is not known to be safe.",
                   severity=Severity.MEDIUM, precision="low")
