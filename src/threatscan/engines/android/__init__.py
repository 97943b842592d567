"""The Android engine: manifests, network security configs, value resources, Gradle files and properties.

`prepare` builds the project model once (modules, source sets, targetSdk and build types from Gradle, custom
permissions); `scan_file` parses each file once (hardened XML, see xmlparse.py) and runs the checks registered
for its kind with `@android_check(RULE_ID, KIND)`. Checks live in checks/, one module per family.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Iterable

from ...model import Finding
from ...registry import prefiltered
from ..base import Engine, Facts, ScanContext
from .context import AndroidFile, parse_properties
from .project import Project, build_project, locate, parsed_gradle, parsed_xml
from .xmlparse import XmlProblem

if TYPE_CHECKING:
    from ...discover import SourceFile
    from ...registry import Check

XML_KINDS = frozenset({"android-manifest", "android-nsc", "android-values"})


def load_checks() -> None:
    from . import checks

    for info in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{checks.__name__}.{info.name}")


class AndroidEngine(Engine):
    name = "android"
    # gradle-catalog: read by `prepare` only (targetSdk from libs.versions.toml); no check reads it.
    kinds = frozenset({"android-manifest", "android-nsc", "android-values", "gradle", "properties", "gradle-catalog",
                       "android-source"})

    def prepare(self, files: list["SourceFile"], ctx: ScanContext) -> Facts:
        return Facts(android_project=build_project(files, ctx.notice))

    def scan_file(self, file: "SourceFile", checks: list["Check"], ctx: ScanContext) -> Iterable[Finding]:
        project: Project = ctx.facts.android_project or build_project([file])
        rules = ctx.catalog.rules
        data = file.data()
        if b"\0" in data[:4] or data.startswith((b"\xff\xfe", b"\xfe\xff")):
            active = list(checks)  # UTF-16: cannot prefilter on UTF-8 tokens
        else:
            active = prefiltered(checks, rules, data)
        if not active:
            return []
        directory, source_set = locate(file.rel)
        module = project.module(directory)
        afile = AndroidFile(file, project, module, source_set, module.source_set_kind(source_set), ctx)
        kinds = file.kinds & self.kinds
        if kinds & XML_KINDS:
            doc = parsed_xml(file, keep_text=bool(kinds & {"android-values", "android-nsc"}))
            if isinstance(doc, XmlProblem):
                ctx.notice(str(doc), file.rel, "warning", doc.kind, doc.line)
                return []
            afile.xml = doc
            if "android-manifest" in kinds:
                if doc.root.tag != "manifest":
                    ctx.notice(f"not an Android manifest (root element <{doc.root.tag}>); skipped", file.rel, "warning", "parse-error")
                    return []
                if not doc.root.find_all("application"):
                    ctx.notice("manifest without an <application> element: only manifest-level checks ran", file.rel,
                               "note", "partial")
        elif "gradle" in kinds:
            afile.gradle = parsed_gradle(file)
        elif "properties" in kinds:
            afile.properties = parse_properties(file.text())
        elif "android-source" in kinds:
            from .source import lex

            afile.code = lex(file.text(), kotlin=file.rel.endswith(".kt"))
        for check in active:
            if afile.shipping == "test" and not check.options.get("tests"):
                continue
            afile.rule = rules[check.rule_id]
            check.func(afile)
        return afile.findings


ENGINE = AndroidEngine()
