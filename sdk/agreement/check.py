#!/usr/bin/env python3
"""The SDKs agree with the OpenAPI document: every verb document an SDK builds is valid
against the served schema (`#/components/schemas/VerbDocument`), and each SDK's builders
emit every verb, every field of every verb, and every field of what those fields hold
(dial targets, prompts, confirmations, ringback) — so a renamed or removed field, or a
new verb or field the SDKs cannot emit, fails.

What it does not check: that every value of an enum is used (a new `strategy` passes),
and how an SDK emits a field — a typed method or its generic passthrough (Rust `with`,
Python keyword arguments, Node options) count alike.

    python3 sdk/agreement/check.py openapi.json < documents.json

`documents.json` maps an SDK's name to the document it built with every option used
(`every_verb.py`, `every_verb.mjs`, and the Rust SDK's test). Prints what each SDK
covers; exits 1 when a document is invalid or a field cannot be built, naming it.
Needs `jsonschema` (installed with check-jsonschema).
"""
import json
import sys

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "urn:switchboard:openapi"
#: Properties whose one-value enum names a variant.
TAGS = ("verb", "type")
#: Components whose fields keep the path they are reached by.
NOT_NAMED = {"Verb", "VerbDocument"}
#: Deeper than any schema here (verb → dial → target → confirm → announcement is 8);
#: reaching it is an error, never a silent cut.
MAX_DEPTH = 16


class Unwalkable(Exception):
    """A schema this check cannot enumerate the fields of: it fails rather than pass
    with fewer fields."""


def named(doc, schema):
    """`schema` with its `$ref`s followed, and the name of the last component."""
    name = None
    while "$ref" in schema:
        node = doc
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        name, schema = schema["$ref"].rsplit("/", 1)[-1], node
    return schema, name


def resolve(doc, schema):
    return named(doc, schema)[0]


def located(doc, schema, prefix):
    """A component's fields are named after it (`Confirm.key`) wherever it is used, so
    that each is asked for once."""
    schema, name = named(doc, schema)
    return schema, (name if name and name not in NOT_NAMED else prefix)


def tag_of(schema):
    """`("verb", "say")` for a variant tagged by a one-value enum, else None."""
    for tag in TAGS:
        values = schema.get("properties", {}).get(tag, {}).get("enum", [])
        if len(values) == 1:
            return tag, values[0]
    return None


def alternatives(doc, schema, prefix):
    """A oneOf's non-null alternatives: one (a nullable value), or tagged variants."""
    options = [b for b in schema["oneOf"] if resolve(doc, b).get("type") != "null"]
    if len(options) > 1 and not all(tag_of(resolve(doc, b)) for b in options):
        raise Unwalkable(f"{prefix or '(verb)'}: a oneOf whose alternatives are not all tagged objects")
    return options


def schema_paths(doc, schema, prefix, depth=0):
    """Every field path the schema allows: `<verb=dial>.targets[]<type=sip>.uri`."""
    schema, prefix = located(doc, schema, prefix)
    if depth > MAX_DEPTH:
        raise Unwalkable(f"{prefix}: nested deeper than {MAX_DEPTH} (a recursive schema?)")
    if "oneOf" in schema:
        options = alternatives(doc, schema, prefix)
        if len(options) == 1:
            return schema_paths(doc, options[0], prefix, depth + 1)
        out = set()
        for option in options:
            tag = "=".join(tag_of(resolve(doc, option)))
            out |= schema_paths(doc, option, f"{prefix}<{tag}>", depth + 1)
        return out
    if "items" in schema:
        return schema_paths(doc, schema["items"], prefix + "[]", depth + 1)
    out = set()
    for name, sub in schema.get("properties", {}).items():
        out.add(f"{prefix}.{name}")
        out |= schema_paths(doc, sub, f"{prefix}.{name}", depth + 1)
    return out


def instance_paths(doc, schema, value, prefix, depth=0):
    """The field paths `value` uses, walked along its schema."""
    schema, prefix = located(doc, schema, prefix)
    if depth > MAX_DEPTH:
        raise Unwalkable(f"{prefix}: nested deeper than {MAX_DEPTH} (a recursive schema?)")
    if "oneOf" in schema:
        options = alternatives(doc, schema, prefix)
        if len(options) == 1:
            return instance_paths(doc, options[0], value, prefix, depth + 1)
        for option in options:
            name, wanted = tag_of(resolve(doc, option))
            if isinstance(value, dict) and value.get(name) == wanted:
                return instance_paths(doc, option, value, f"{prefix}<{name}={wanted}>", depth + 1)
        return set()
    if "items" in schema:
        out = set()
        for item in value if isinstance(value, list) else []:
            out |= instance_paths(doc, schema["items"], item, prefix + "[]", depth + 1)
        return out
    out = set()
    properties = schema.get("properties", {})
    for name, sub in value.items() if isinstance(value, dict) else []:
        if name in properties:
            out.add(f"{prefix}.{name}")
            out |= instance_paths(doc, properties[name], sub, f"{prefix}.{name}", depth + 1)
    return out


def check(doc, sdk, document):
    """What is wrong with one SDK's document: invalid verbs, fields it cannot build."""
    registry = Registry().with_resource(BASE, Resource.from_contents(doc, default_specification=DRAFT202012))
    whole = Draft202012Validator({"$ref": f"{BASE}#/components/schemas/VerbDocument"}, registry=registry)
    one_verb = Draft202012Validator({"$ref": f"{BASE}#/components/schemas/Verb"}, registry=registry)
    problems = []
    if not isinstance(document, list):
        return [f"{sdk}: the document is not a list of verbs"]
    variants = {tag_of(resolve(doc, b))[1]: i for i, b in enumerate(doc["components"]["schemas"]["Verb"]["oneOf"])}
    for i, item in enumerate(document):
        # Checked against its own verb's schema when it names one, for an error that
        # says which field, rather than "not valid under any of the given schemas".
        variant = variants.get(item.get("verb")) if isinstance(item, dict) else None
        validator = one_verb if variant is None else Draft202012Validator(
            {"$ref": f"{BASE}#/components/schemas/Verb/oneOf/{variant}"}, registry=registry)
        error = best_match(validator.iter_errors(item))
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "(verb)"
            problems.append(f"{sdk}: verb [{i}] invalid at {where}: {error.message[:300]}")
    # The SDKs write the bare array, which the schema documents as the object form's
    # equivalent (`{"verbs": [...]}`).
    if not problems and not whole.is_valid({"verbs": document}):
        error = best_match(whole.iter_errors({"verbs": document}))
        problems.append(f"{sdk}: the document is invalid: {error.message[:300]}")
    verb = doc["components"]["schemas"]["Verb"]
    used = set()
    for item in document:
        used |= instance_paths(doc, verb, item, "")
    allowed = schema_paths(doc, verb, "")
    problems += [f"{sdk}: cannot build {path}" for path in sorted(allowed - used)]
    print(f"{sdk}: {len(document)} verbs, {len(used & allowed)} of {len(allowed)} field paths built")
    return problems


def main() -> int:
    doc = json.load(open(sys.argv[1]))
    documents = json.load(sys.stdin)
    if not documents:
        print("no SDK's document to check")
        return 1
    problems = []
    try:
        for sdk, document in documents.items():
            problems += check(doc, sdk, document)
    except Unwalkable as e:
        problems.append(f"the schema cannot be walked: {e}")
    print("\n".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
