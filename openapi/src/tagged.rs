//! Internally tagged enums (`{"verb": "say", "text": …}`) as JSON Schema can check them.
//!
//! utoipa writes a variant of `#[serde(tag = "verb")]` as `allOf: [{$ref: Say}, {verb}]`.
//! `Say` itself says `additionalProperties: false` (its `deny_unknown_fields`), and JSON
//! Schema applies that keyword to the properties of its own schema object only — so a
//! validator refuses every `say` verb for carrying `verb`. Each such variant of a
//! component's `oneOf` is written here as one object instead: the tag's property, the
//! variant's properties, both required lists, and `additionalProperties: false`: the
//! same fields the parser accepts (the parser checks more than a schema says, such as
//! ranges and which fields go together).
//!
//! A model that flattens a closed one into itself (`Queue`: a `QueueCreate` and its
//! timestamps) is written by utoipa the same way, and no object could satisfy it: it is
//! merged into one closed object too, with its own description and example.
//!
//! Some types refuse unknown fields through a hand-written parser (`try_from` a map into
//! `deny_unknown_fields` helpers) that the derived schema cannot see: they are marked
//! closed here too, so the document says what the parser does.

use std::collections::BTreeMap;
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::{OpenApi, RefOr};

/// Rewrites the tagged variants of every component schema that is a `oneOf`.
#[derive(Debug)]
pub struct InlineTaggedVariants;

/// Components (or, for a `oneOf`, each of its object variants) that refuse unknown
/// fields: `DialTarget` parses each variant into a `deny_unknown_fields` helper
/// (`verbs/dial.rs`), `Announcement` likewise (`types/pbx.rs`).
const CLOSED: [&str; 2] = ["DialTarget", "Announcement"];

fn close(schema: &mut RefOr<Schema>) {
    match schema {
        RefOr::T(Schema::Object(object)) => {
            object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        }
        RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter_mut().for_each(close),
        _ => {}
    }
}

impl utoipa::Modify for InlineTaggedVariants {
    fn modify(&self, openapi: &mut OpenApi) {
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for name in CLOSED {
            if let Some(schema) = components.schemas.get_mut(name) {
                close(schema);
            }
        }
        let all = components.schemas.clone();
        for schema in components.schemas.values_mut() {
            if let RefOr::T(Schema::AllOf(flattened)) = &*schema
                && let Some(RefOr::T(Schema::Object(mut merged))) = merged_variant(schema, &all)
            {
                merged.description = flattened.description.clone();
                merged.example = flattened.example.clone();
                merged.examples = flattened.examples.clone();
                *schema = RefOr::T(Schema::Object(merged));
            }
            if let RefOr::T(Schema::OneOf(one_of)) = schema {
                for item in &mut one_of.items {
                    if let Some(merged) = merged_variant(item, &all) {
                        *item = merged;
                    }
                }
            }
        }
    }
}

/// `allOf: [{$ref: X}, {properties: {tag}}]` with `X` closed to other properties, as
/// one closed object; `None` for anything else.
fn merged_variant(
    item: &RefOr<Schema>,
    all: &BTreeMap<String, RefOr<Schema>>,
) -> Option<RefOr<Schema>> {
    let RefOr::T(Schema::AllOf(all_of)) = item else {
        return None;
    };
    let [RefOr::Ref(reference), RefOr::T(Schema::Object(tag))] = all_of.items.as_slice() else {
        return None;
    };
    let name = reference
        .ref_location
        .strip_prefix("#/components/schemas/")?;
    let Some(RefOr::T(Schema::Object(variant))) = all.get(name) else {
        return None;
    };
    let closed = matches!(
        variant.additional_properties.as_deref(),
        Some(AdditionalProperties::FreeForm(false))
    );
    if !closed || tag.properties.is_empty() {
        return None;
    }
    let mut merged = variant.clone();
    merged.properties.extend(tag.properties.clone());
    merged.required = tag.required.clone();
    merged.required.extend(variant.required.iter().cloned());
    Some(RefOr::T(Schema::Object(merged)))
}

#[cfg(test)]
mod tests {
    use crate::ApiDoc;
    use serde_json::{Value, json};

    fn schemas() -> Value {
        let doc: Value = serde_json::from_str(&ApiDoc::json()).unwrap();
        doc["components"]["schemas"].clone()
    }

    #[test]
    fn a_model_flattening_a_closed_one_is_one_closed_object() {
        let schemas = schemas();
        let queue = &schemas["Queue"];
        assert!(queue.get("allOf").is_none(), "{queue}");
        assert_eq!(queue["additionalProperties"], json!(false));
        for field in ["name", "strategy", "created_at", "updated_at"] {
            assert!(queue["properties"].get(field).is_some(), "{field}: {queue}");
        }
        let required = queue["required"].as_array().unwrap();
        assert!(required.contains(&json!("created_at")) && required.contains(&json!("name")));
        assert!(
            queue["description"]
                .as_str()
                .unwrap()
                .contains("as returned")
        );
    }

    #[test]
    fn a_verb_is_one_closed_object_with_its_tag() {
        let schemas = schemas();
        let say = schemas["Verb"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["properties"]["verb"]["enum"] == json!(["say"]))
            .expect("say among the verbs")
            .clone();
        assert_eq!(say["additionalProperties"], json!(false));
        assert_eq!(say["required"], json!(["verb", "text"]));
        assert!(say["properties"]["text"].is_object(), "{say}");
        assert!(say.get("allOf").is_none(), "{say}");
    }

    #[test]
    fn every_tagged_variant_is_inlined_and_the_variants_stay_as_they_were() {
        let schemas = schemas();
        for union in ["Verb", "Prompt"] {
            for variant in schemas[union]["oneOf"].as_array().unwrap() {
                assert!(variant.get("allOf").is_none(), "{union}: {variant}");
            }
        }
        assert_eq!(schemas["Say"]["required"], json!(["text"]));
        assert!(schemas["Say"]["properties"].get("verb").is_none());
    }

    /// Any `allOf` left in a `oneOf` (a tagged variant this rewrite missed) would make a
    /// validator refuse what the parser takes.
    #[test]
    fn no_one_of_anywhere_holds_an_all_of() {
        fn walk(value: &Value, path: &str) {
            match value {
                Value::Object(map) => {
                    if let Some(Value::Array(options)) = map.get("oneOf") {
                        for o in options {
                            assert!(o.get("allOf").is_none(), "{path}: {o}");
                        }
                    }
                    for (k, v) in map {
                        walk(v, &format!("{path}/{k}"));
                    }
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, path)),
                _ => {}
            }
        }
        let doc: Value = serde_json::from_str(&ApiDoc::json()).unwrap();
        walk(&doc, "");
    }

    #[test]
    fn dial_targets_and_announcements_refuse_unknown_fields_as_the_parser_does() {
        let schemas = schemas();
        for target in schemas["DialTarget"]["oneOf"].as_array().unwrap() {
            assert_eq!(target["additionalProperties"], json!(false), "{target}");
        }
        assert_eq!(
            schemas["Announcement"]["additionalProperties"],
            json!(false)
        );
        let refused = crate::verbs::parse_document(
            br#"[{"verb": "dial", "targets": [{"type": "extension", "number": "101", "numbr": "1"}]}]"#,
        );
        assert!(refused.is_err(), "{refused:?}");
    }
}
