"""Process definitions: reading BPMN and DMN, deploying versions, the workflow state format, the sandbox.

:mod:`engine.definitions.specs` parses and checks a file (dialect by the extensions used, problems with
element ids), every file read through the one safe parser of :mod:`engine.definitions.safe_xml`;
:mod:`engine.definitions.bundles` reads several files as one definition and resolves call activities
(in the bundle, else the latest deployed version, pinned); :mod:`engine.definitions.archive` unpacks a
zipped bundle with distrust;
:mod:`engine.definitions.versions` deploys immutable versions and caches their parsed specs;
:mod:`engine.definitions.state` turns a workflow into JSON and back; every script, condition,
timer expression and DMN cell runs in :mod:`engine.definitions.sandbox`.
"""
from engine.definitions import sandbox, specs, state
from engine.definitions.specs import DefinitionInvalid, ParsedDefinition, SourceFile, parse_definition
from engine.definitions.versions import LoadedDefinition, SpecCache, deploy, deploy_directory, sources_for

__all__ = ["sandbox", "specs", "state", "DefinitionInvalid", "ParsedDefinition", "SourceFile",
           "parse_definition", "LoadedDefinition", "SpecCache", "deploy", "deploy_directory", "sources_for"]
