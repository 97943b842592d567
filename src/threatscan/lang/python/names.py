"""Resolve what a name in a module really refers to: imports, aliases, star imports and simple re-bindings.

`import subprocess as sp; sp.run` -> "subprocess.run"; `from os import system as run_cmd; run_cmd` ->
"os.system"; `from subprocess import *; call` -> "subprocess.call"; `runner = subprocess.Popen; runner` ->
"subprocess.Popen". Names defined in the module itself shadow builtins (a local `def eval` is not `eval`).
"""

from __future__ import annotations

import ast
import builtins

# What `from M import *` brings in, for the modules our checks care about. Static on purpose: we never import
# the scanned project's modules, and third-party packages need not be installed where threatscan runs.
STAR_EXPORTS: dict[str, frozenset[str]] = {
    "subprocess": frozenset({"call", "check_call", "check_output", "run", "Popen", "getoutput", "getstatusoutput"}),
    "os": frozenset({
        "system", "popen", "execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe",
        "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe", "startfile",
        "environ", "getenv", "putenv",
    }),
    "pickle": frozenset({"load", "loads", "Unpickler"}),
    "cPickle": frozenset({"load", "loads", "Unpickler"}),
    "_pickle": frozenset({"load", "loads", "Unpickler"}),
    "dill": frozenset({"load", "loads"}),
    "marshal": frozenset({"load", "loads"}),
    "shelve": frozenset({"open", "DbfilenameShelf"}),
    "yaml": frozenset({"load", "load_all", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all",
                       "Loader", "UnsafeLoader", "FullLoader", "SafeLoader", "CSafeLoader", "BaseLoader",
                       "CLoader", "CUnsafeLoader", "CFullLoader", "CBaseLoader", "safe_load"}),
    "ssl": frozenset({"CERT_NONE", "_create_unverified_context", "create_default_context", "SSLContext"}),
    "hashlib": frozenset({"md5", "sha1", "new"}),
    "requests": frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "Session"}),
    "httpx": frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "Client", "AsyncClient"}),
    "jwt": frozenset({"decode", "encode"}),
    "asyncio": frozenset({"create_subprocess_shell", "create_subprocess_exec"}),
    "commands": frozenset({"getoutput", "getstatusoutput"}),
    "logging": frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}),
}

BUILTIN_NAMES = frozenset(dir(builtins))


class Names:
    """The module-level view of what each name refers to (imports anywhere in the file count)."""

    def __init__(self, tree: ast.Module):
        self.aliases: dict[str, str] = {}
        self.star_modules: list[str] = []
        self.defined: set[str] = set()
        # local name -> (module, attribute or None, relative level) of every import, relative ones included
        self.imports: dict[str, tuple[str, str | None, int]] = {}
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []  # at any depth, methods too
        self._collect(tree)

    def _collect(self, tree: ast.Module) -> None:
        # Every statement at any depth, in source order (imports are statements: expressions need no visit, which
        # makes this far cheaper than ast.walk); one loop, as every module and helper parsed is read so.
        functions, imports, aliases = self.functions, self.imports, self.aliases
        function_classes, Import, ImportFrom = _FUNCTION_CLASSES, ast.Import, ast.ImportFrom
        blocks_of = _BLOCKS_OF.get
        stack = list(reversed(tree.body))  # type: ignore[attr-defined]
        pop, extend = stack.pop, stack.extend
        while stack:
            node = pop()
            cls = node.__class__
            names = blocks_of(cls)
            if names is None:
                names = _blocks(cls)
            for name in names:
                block = getattr(node, name, None)
                if block:
                    extend(reversed(block))
            if cls in function_classes:
                functions.append(node)
            elif cls is Import:
                for a in node.names:  # type: ignore[attr-defined]
                    if a.asname:
                        imports[a.asname] = (a.name, None, 0)
                        aliases[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        aliases.setdefault(top, top)
            elif cls is ImportFrom:
                for a in node.names:  # type: ignore[attr-defined]
                    if a.name != "*":
                        imports[a.asname or a.name] = (node.module or "", a.name, node.level or 0)  # type: ignore[attr-defined]
                if node.level or not node.module:  # type: ignore[attr-defined]
                    continue  # relative imports name the project's own modules
                for a in node.names:  # type: ignore[attr-defined]
                    if a.name == "*":
                        self.star_modules.append(node.module)  # type: ignore[attr-defined]
                    else:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"  # type: ignore[attr-defined]
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self.defined.add(node.name)
        # `runner = subprocess.Popen` at module level: the name keeps the qualified meaning.
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                target = node.targets[0].id
                if isinstance(node.value, (ast.Name, ast.Attribute)):
                    resolved = self.qualname(node.value)
                    if resolved and "." in resolved:
                        self.aliases[target] = resolved
                        continue
                self.defined.add(target)

    def qualname(self, node: ast.AST) -> str | None:
        """The dotted name an expression refers to, or None when it is not a plain name or attribute chain."""
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.aliases:
                return self.aliases[name]
            if name in self.defined:  # `from os import *` then `def system(...)`: the module's own function
                return f"<module>.{name}"
            for module in self.star_modules:
                if name in STAR_EXPORTS.get(module, ()):
                    return f"{module}.{name}"
            return name
        if isinstance(node, ast.Attribute):
            base = self.qualname(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def call_name(self, call: ast.Call) -> str | None:
        return self.qualname(call.func)


_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


_BLOCKS_OF: dict[type, tuple[str, ...]] = {}
_FUNCTION_CLASSES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef})


def _blocks(cls: type) -> tuple[str, ...]:
    """The statement blocks a statement class has, last first (a simple statement has none); kept per class."""
    names = _BLOCKS_OF[cls] = tuple(n for n in reversed(_BLOCKS) if n in cls._fields)  # type: ignore[attr-defined]
    return names
