"""Extract the argument and block names of the resource types infra/ uses from the
providers' own Go sources, into infra/tools/provider_schema.json (which tests/infra reads).

`terraform providers schema -json` needs the provider binaries, which cannot be
downloaded where this project is developed, so the names are read from the providers'
repositories at the pinned tags instead (git directories, e.g. the `fetch` tool's
mirrors):

    .venv/bin/python infra/tools/extract_provider_schema.py \
        --google ../terraform-provider-google/.git@v7.45.0 \
        --google-beta ../terraform-provider-google-beta/.git@v7.45.0 \
        --time ../terraform-provider-time/.git@v0.13.1 \
        --archive ../terraform-provider-archive/.git@v2.7.1

Each argument is GIT_DIR@REF (a clone's .git, or a bare mirror). Only what a
configuration may write is kept: arguments (Optional or Required) and nested blocks
(an Elem of *schema.Resource, read recursively); computed-only attributes are left
out. SDKv2 sources (google, google-beta) are read from `registry.Schema{Name: ...,
Schema: ...}` registrations; plugin-framework sources (time, archive) from
`Attributes:` and `Blocks:` maps. A source this script does not understand fails
loudly rather than being guessed at.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from go_source import (
    GoSource,
    depth_one_fields,
    matching,
    own_elem_resource,
    registrations,
    top_level_entries,
    top_level_entries_go_fields,
)

INFRA = Path(__file__).resolve().parents[1]
OUTPUT = Path(__file__).resolve().parent / "provider_schema.json"

_BLOCK_HEADER = re.compile(r'^(resource|data)\s+"(\w+)"', re.MULTILINE)
_BETA = re.compile(r"^\s*provider\s*=\s*google-beta\s*$", re.MULTILINE)


class SdkSchemas:
    """Argument and block names of SDKv2 resources (google, google-beta)."""

    def __init__(self, source: GoSource) -> None:
        self.source = source
        self.registered = registrations(source)

    def type_schema(self, kind: str, name: str) -> dict[str, Any]:
        expression = self.registered[(kind, name)]
        call = re.fullmatch(r"([\w.]+)\(\)", expression)
        if call:
            # A wrapper returning the IAM member resource of a parent schema.
            wrapped = self.source.definition(call[1])
            if re.search(r"return\s+tpgiamresource\.ResourceIamMember\(", wrapped):
                expression = wrapped.split("return", 1)[1].strip()
        iam = re.match(r"tpgiamresource\.ResourceIamMember\(\s*(\w+)", expression)
        if iam:
            names = self.schema_map(self.map_literal(iam[1]))
            return merge(names, self.schema_map(self.map_literal("IamMemberBaseSchema")))
        call = re.fullmatch(r"([\w.]+)\((.*)\)", expression, re.DOTALL)
        if not call:
            raise ValueError(f"{kind} {name}: unknown schema expression {expression!r}")
        arguments = [a.strip() for a in call[2].split(",") if a.strip()]
        return self.resource_function(call[1], arguments)

    def resource_function(self, function: str, arguments: list[str]) -> dict[str, Any]:
        body = self.source.definition(function)
        # Parameters passed on (e.g. a parent-specific schema map) by their names.
        header = self.source.text[: self.source.text.index(body)].rsplit("func ", 1)[-1]
        parameters = re.findall(r"(\w+)\s+[\w.*\[\]]+\s*[,)]", header.split(")")[0] + ")")
        bound = dict(zip(parameters, arguments, strict=False))
        merged = re.search(r"Schema:\s*tpgresource\.MergeSchemas\(([^)]*)\)", body)
        if merged:
            names: dict[str, Any] = {"arguments": [], "blocks": {}}
            for part in merged[1].split(","):
                ref = bound.get(part.strip(), part.strip())
                names = merge(names, self.schema_map(self.map_literal(ref)))
            return names
        helper = re.search(r"Schema:\s*([\w.]+)\(\)", body)
        if helper and "map[string]*schema.Schema{" not in body:
            names = self.schema_map(self.map_returned_by(helper[1]))
            for key in re.findall(r'\.Schema\["(\w+)"\]\s*=', body):
                names["arguments"] = sorted(set(names["arguments"]) | {key})
            return names
        derived = re.search(r"DatasourceSchemaFromResourceSchema\(([\w.]+)\(\)\.Schema\)", body)
        if derived:
            # Every field of the resource, as optional or computed: all may be written.
            names = self.resource_function(derived[1], [])
            for key in re.findall(r'dsSchema\["(\w+)"\]\s*=', body):
                names["arguments"] = sorted(set(names["arguments"]) | {key})
            return names
        match = re.search(r"Schema:\s*map\[string\]\*schema\.Schema\{", body)
        if match:
            start = match.end() - 1
            return self.schema_map(body[start : matching(body, start) + 1])
        raise ValueError(f"{function}: no Schema map found")

    def schema_map(self, literal: str) -> dict[str, Any]:
        """{"arguments": [...], "blocks": {name: {...}}} of a map[string]*schema.Schema."""
        arguments: set[str] = set()
        blocks: dict[str, Any] = {}
        for key, value in top_level_entries(literal[1:-1]):
            if not value.startswith("{"):
                # A helper's schema (e.g. tpgresource.SomeSchema()): a settable name.
                arguments.add(key)
                continue
            own = depth_one_fields(value)
            settable = re.search(r"\b(Optional|Required):\s*true", own)
            if not settable:
                continue  # computed only
            resource = own_elem_resource(value)
            if resource is None:
                resource = self.elem_resource_of_call(own)
            if resource is not None:
                blocks[key] = self.nested(resource)
            else:
                arguments.add(key)
        return {"arguments": sorted(arguments), "blocks": dict(sorted(blocks.items()))}

    def elem_resource_of_call(self, own_fields: str) -> str | None:
        """The `{...}` of the *schema.Resource that `Elem: someSchema()` returns (a
        nested block whose schema is a function of its own), or None when the element
        is not a call or the function returns no resource (a primitive's schema)."""
        called = re.search(r"\bElem:\s*([\w.]+)\(\)", own_fields)
        if not called:
            return None
        body = self.source.definition(called[1])
        returned = re.search(r"return\s+&schema\.Resource\{", body)
        if not returned:
            return None
        start = returned.end() - 1
        return body[start : matching(body, start) + 1]

    def nested(self, resource_literal: str) -> dict[str, Any]:
        fields = dict(top_level_entries_go_fields(resource_literal))
        schema = fields.get("Schema", "")
        if schema.startswith("map[string]*schema.Schema{"):
            return self.schema_map(schema[len("map[string]*schema.Schema") :])
        call = re.fullmatch(r"([\w.]+)\(\)", schema)
        if call:
            return self.schema_map(self.map_returned_by(call[1]))
        raise ValueError(f"nested schema not understood: {schema[:80]!r}")

    def map_literal(self, name: str) -> str:
        """The `{...}` of `var name = map[string]*schema.Schema{...}` or of the map a
        function of that name returns."""
        short = name.split(".")[-1]
        variable = rf"^var\s+{short}\s*=\s*map\[string\]\*schema\.Schema\{{"
        if re.search(variable, self.source.text, re.MULTILINE):
            return self.source.definition(name)
        return self.map_returned_by(name)

    def map_returned_by(self, function: str) -> str:
        body = self.source.definition(function)
        match = re.search(r"map\[string\]\*schema\.Schema\{", body)
        if not match:
            raise ValueError(f"{function} returns no schema map")
        start = match.end() - 1
        return body[start : matching(body, start) + 1]


def merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    return {
        "arguments": sorted(set(first["arguments"]) | set(second["arguments"])),
        "blocks": dict(sorted({**first["blocks"], **second["blocks"]}.items())),
    }


def framework_schema(source: GoSource, path: str) -> dict[str, Any]:
    """Attribute and block names of a plugin-framework resource or data source file."""
    text = source.files[path]
    match = re.search(r"resp\.Schema = schema\.Schema\{", text)
    if not match:
        raise ValueError(f"{path}: no framework schema")
    start = match.end() - 1
    return framework_block(text[start : matching(text, start) + 1])


def framework_block(literal: str) -> dict[str, Any]:
    fields = dict(top_level_entries_go_fields(literal))
    arguments = set()
    for key, value in top_level_entries(_map_body(fields.get("Attributes"))):
        own = depth_one_fields(value[value.index("{") :])
        if re.search(r"\b(Optional|Required):\s*true", own):
            arguments.add(key)
    blocks = {
        key: framework_block(value[value.index("{") :])
        for key, value in top_level_entries(_map_body(fields.get("Blocks")))
    }
    nested = fields.get("NestedObject")
    if nested:
        return framework_block(nested[nested.index("{") :])
    return {"arguments": sorted(arguments), "blocks": dict(sorted(blocks.items()))}


def _map_body(value: str | None) -> str:
    if not value:
        return ""
    start = value.index("{")
    return value[start + 1 : matching(value, start)]


def used_types() -> dict[tuple[str, str], bool]:
    """(kind, type) of every resource and data block under infra/ => whether any of them
    is read with the google-beta provider."""
    found: dict[tuple[str, str], bool] = {}
    for path in sorted(INFRA.rglob("*.tf")):
        text = path.read_text()
        headers = list(_BLOCK_HEADER.finditer(text))
        for index, header in enumerate(headers):
            end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
            key = (header[1], header[2])
            found[key] = found.get(key, False) or bool(_BETA.search(text[header.end() : end]))
    return found


def git_ref(argument: str) -> tuple[Path, str]:
    directory, _, ref = argument.rpartition("@")
    return Path(directory), ref


# Plugin-framework types: (provider, file) of each.
FRAMEWORK_FILES = {
    ("resource", "time_sleep"): ("time", "internal/provider/resource_time_sleep.go"),
    ("resource", "time_static"): ("time", "internal/provider/resource_time_static.go"),
    ("data", "archive_file"): ("archive", "internal/provider/data_source_archive_file.go"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("google", "google-beta", "time", "archive"):
        parser.add_argument(f"--{name}", required=True, help="GIT_DIR@REF")
    args = vars(parser.parse_args())
    sources = {
        name: GoSource(*git_ref(args[name.replace("-", "_")]), prefix=prefix)
        for name, prefix in (
            ("google", "google/"),
            ("google-beta", "google-beta/"),
            ("time", "internal/"),
            ("archive", "internal/"),
        )
    }
    sdk = {name: SdkSchemas(sources[name]) for name in ("google", "google-beta")}
    result: dict[str, Any] = {
        "providers": {
            name: {"ref": git_ref(args[name.replace("-", "_")])[1], "commit": source.commit}
            for name, source in sources.items()
        },
        "resource": {},
        "data": {},
    }
    for (kind, type_name), beta in sorted(used_types().items()):
        if (kind, type_name) in FRAMEWORK_FILES:
            provider, path = FRAMEWORK_FILES[(kind, type_name)]
            names = framework_schema(sources[provider], path)
        else:
            in_google = (kind, type_name) in sdk["google"].registered
            provider = "google-beta" if beta or not in_google else "google"
            names = sdk[provider].type_schema(kind, type_name)
        only_beta = provider == "google-beta" and (kind, type_name) not in sdk["google"].registered
        result[kind][type_name] = {"provider": provider, "beta_only": only_beta, **names}
    OUTPUT.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    count = len(result["resource"]) + len(result["data"])
    print(f"wrote {OUTPUT.relative_to(INFRA.parent)}: {count} types")


if __name__ == "__main__":
    main()
