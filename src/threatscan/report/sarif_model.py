"""The SARIF 2.1.0 objects the SARIF writer builds, as small plain classes with sarif-om's names.

The writer used sarif-om's attrs classes, and importing sarif-om and attrs cost ~0.1 s of CPU: a sixth of a warm
rescan. These classes keep sarif-om's interface for the properties the writer sets (keyword arguments and
attributes in snake_case) and what `report.sarif.to_json` needs to write the same JSON as before: every class's
properties in sarif-om's order (the order of the keys written), their schema names (camelCase, `$schema`) and
their defaults (a property equal to its default is left out, as before). tests/test_sarif.py checks this table
against sarif-om itself.
"""

from __future__ import annotations

from typing import Any, ClassVar

# Each class's properties in sarif-om's order (sarif-om 1.0.4); `name=default` where sarif-om's default is not None.
PROPERTIES = {
    "ArtifactChange": "artifact_location replacements properties",
    "ArtifactContent": "binary properties rendered text",
    "ArtifactLocation": "description index=-1 properties uri uri_base_id",
    "CodeFlow": "thread_flows message properties",
    "Fix": "artifact_changes description properties",
    "Invocation": "execution_successful account arguments command_line end_time_utc environment_variables "
                  "executable_location exit_code exit_code_description exit_signal_name exit_signal_number machine "
                  "notification_configuration_overrides process_id process_start_failure_message properties "
                  "response_files rule_configuration_overrides start_time_utc stderr stdin stdout stdout_stderr "
                  "tool_configuration_notifications tool_execution_notifications working_directory",
    "Location": "annotations id=-1 logical_locations message physical_location properties relationships",
    "Message": "arguments id markdown properties text",
    "MultiformatMessageString": "text markdown properties",
    "Notification": "message associated_rule descriptor exception level=warning locations properties thread_id "
                    "time_utc",
    "PhysicalLocation": "address artifact_location context_region properties region",
    "Region": "byte_length byte_offset=-1 char_length char_offset=-1 end_column end_line message properties snippet "
              "source_language start_column start_line",
    "Replacement": "deleted_region inserted_content properties",
    "ReportingConfiguration": "enabled=True level=warning parameters properties rank=-1.0",
    "ReportingDescriptor": "id default_configuration deprecated_guids deprecated_ids deprecated_names "
                           "full_description guid help help_uri message_strings name properties relationships "
                           "short_description",
    "ReportingDescriptorReference": "guid id index=-1 properties tool_component",
    "ReportingDescriptorRelationship": "target description kinds=relevant properties",
    "Result": "message analysis_target attachments baseline_state code_flows correlation_guid fingerprints fixes "
              "graph_traversals graphs guid hosted_viewer_uri kind=fail level=warning locations occurrence_count "
              "partial_fingerprints properties provenance rank=-1.0 related_locations rule rule_id rule_index=-1 "
              "stacks suppressions taxa web_request web_response work_item_uris",
    "Run": "tool addresses artifacts automation_details baseline_guid column_kind conversion default_encoding "
           "default_source_language external_property_file_references graphs invocations language=en-US "
           "logical_locations newline_sequences=CRLF,LF original_uri_base_ids policies properties redaction_tokens "
           "results run_aggregates special_locations taxonomies thread_flow_locations translations "
           "version_control_provenance web_requests web_responses",
    "RunAutomationDetails": "correlation_guid description guid id properties",
    "SarifLog": "runs version schema_uri inline_external_properties properties",
    "Suppression": "kind guid justification location properties state",
    "ThreadFlow": "locations id immutable_state initial_state message properties",
    "ThreadFlowLocation": "execution_order=-1 execution_time_utc importance=important index=-1 kinds location module "
                          "nesting_level properties stack state taxa web_request web_response",
    "Tool": "driver extensions properties",
    "ToolComponent": "name associated_component contents=localizedData,nonLocalizedData dotted_quad_file_version "
                     "download_uri full_description full_name global_message_strings guid information_uri "
                     "is_comprehensive language=en-US localized_data_semantic_version locations "
                     "minimum_required_localized_data_semantic_version notifications organization product "
                     "product_suite properties release_date_utc rules semantic_version short_description "
                     "supported_taxonomies taxa translation_metadata version",
    "ToolComponentReference": "guid index=-1 name properties",
}
_SCHEMA_NAMES = {"schema_uri": "$schema"}
_LISTS = {"relevant": ["relevant"], "CRLF,LF": ["\r\n", "\n"],
          "localizedData,nonLocalizedData": ["localizedData", "nonLocalizedData"]}


def _default(text: str) -> Any:
    if text in _LISTS:
        return list(_LISTS[text])
    if text == "True":
        return True
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _schema_name(name: str) -> str:
    if name in _SCHEMA_NAMES:
        return _SCHEMA_NAMES[name]
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def fields(spec: str) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, schema name, default or None) of each property of a PROPERTIES entry, in order."""
    out = []
    for item in spec.split():
        name, _, default = item.partition("=")
        out.append((name, _schema_name(name), _default(default) if default else None))
    return tuple(out)


class SarifObject:
    """One SARIF object: its properties are attributes (unset ones read as their default); setting a property the
    class does not have is an error, as with sarif-om."""

    FIELDS: ClassVar[tuple[tuple[str, str, Any], ...]] = ()
    _NAMES: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, **values: Any):
        for name, value in values.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._NAMES:
            raise AttributeError(f"{type(self).__name__} has no SARIF property {name!r}")
        self.__dict__[name] = value

    def __getattr__(self, name: str) -> Any:  # only for unset properties
        for field, _, default in self.FIELDS:
            if field == name:
                return default
        raise AttributeError(name)


def _make(name: str, spec: str) -> type[SarifObject]:
    props = fields(spec)
    return type(name, (SarifObject,), {"FIELDS": props, "_NAMES": frozenset(p[0] for p in props),
                                       "__module__": __name__})


ArtifactChange = _make("ArtifactChange", PROPERTIES["ArtifactChange"])
ArtifactContent = _make("ArtifactContent", PROPERTIES["ArtifactContent"])
ArtifactLocation = _make("ArtifactLocation", PROPERTIES["ArtifactLocation"])
CodeFlow = _make("CodeFlow", PROPERTIES["CodeFlow"])
Fix = _make("Fix", PROPERTIES["Fix"])
Invocation = _make("Invocation", PROPERTIES["Invocation"])
Location = _make("Location", PROPERTIES["Location"])
Message = _make("Message", PROPERTIES["Message"])
MultiformatMessageString = _make("MultiformatMessageString", PROPERTIES["MultiformatMessageString"])
Notification = _make("Notification", PROPERTIES["Notification"])
PhysicalLocation = _make("PhysicalLocation", PROPERTIES["PhysicalLocation"])
Region = _make("Region", PROPERTIES["Region"])
Replacement = _make("Replacement", PROPERTIES["Replacement"])
ReportingConfiguration = _make("ReportingConfiguration", PROPERTIES["ReportingConfiguration"])
ReportingDescriptor = _make("ReportingDescriptor", PROPERTIES["ReportingDescriptor"])
ReportingDescriptorReference = _make("ReportingDescriptorReference", PROPERTIES["ReportingDescriptorReference"])
ReportingDescriptorRelationship = _make("ReportingDescriptorRelationship",
                                        PROPERTIES["ReportingDescriptorRelationship"])
Result = _make("Result", PROPERTIES["Result"])
Run = _make("Run", PROPERTIES["Run"])
RunAutomationDetails = _make("RunAutomationDetails", PROPERTIES["RunAutomationDetails"])
SarifLog = _make("SarifLog", PROPERTIES["SarifLog"])
# sarif-om 1.0.4 predates SARIF 2.1.0's `suppression.status` (it has the draft's `state`): added after the rest, as
# the writer's attrs subclass of sarif-om's Suppression did.
Suppression = _make("Suppression", PROPERTIES["Suppression"] + " status")
ThreadFlow = _make("ThreadFlow", PROPERTIES["ThreadFlow"])
ThreadFlowLocation = _make("ThreadFlowLocation", PROPERTIES["ThreadFlowLocation"])
Tool = _make("Tool", PROPERTIES["Tool"])
ToolComponent = _make("ToolComponent", PROPERTIES["ToolComponent"])
ToolComponentReference = _make("ToolComponentReference", PROPERTIES["ToolComponentReference"])
