//! Parsing verb documents: every verb, defaults, and precise errors.

use super::*;

fn parse(json: &str) -> Result<Vec<Verb>, VerbError> {
    parse_document(json.as_bytes())
}

fn error(json: &str) -> VerbError {
    parse(json).expect_err("the document should be refused")
}

#[test]
fn every_verb_parses_with_its_defaults() {
    let verbs = parse(
        r#"[
        {"verb": "play", "recording": "welcome"},
        {"verb": "say", "text": "Hello"},
        {"verb": "pause"},
        {"verb": "gather", "prompts": [{"verb": "say", "text": "Press 1"}]},
        {"verb": "dial", "targets": [{"type": "extension", "number": "58102"}]},
        {"verb": "enqueue", "queue": "support"},
        {"verb": "leave"},
        {"verb": "record"},
        {"verb": "redirect", "url": "/next"},
        {"verb": "hangup"},
        {"verb": "reject"}
    ]"#,
    )
    .unwrap();
    let names: Vec<_> = verbs.iter().map(Verb::name).collect();
    assert_eq!(
        names,
        [
            "play", "say", "pause", "gather", "dial", "enqueue", "leave", "record", "redirect",
            "hangup", "reject"
        ]
    );
    let Verb::Play(play) = &verbs[0] else {
        panic!()
    };
    assert_eq!(play.loop_count, 1);
    let Verb::Pause(pause) = &verbs[2] else {
        panic!()
    };
    assert_eq!(pause.length, 1);
    let Verb::Gather(g) = &verbs[3] else { panic!() };
    assert_eq!(
        (g.finish_on_key.as_str(), g.timeout, g.num_digits),
        ("#", 5, None)
    );
    assert_eq!(g.input, [GatherInput::Dtmf]);
    let Verb::Dial(d) = &verbs[4] else { panic!() };
    assert_eq!(
        (d.timeout, d.strategy, d.record),
        (30, DialStrategy::Ringall, false)
    );
    let Verb::Record(r) = &verbs[7] else { panic!() };
    assert_eq!((r.max_length, r.play_beep, r.timeout), (3600, true, 5));
    assert_eq!(r.finish_on_key, "1234567890*#");
    let Verb::Reject(r) = &verbs[10] else {
        panic!()
    };
    assert_eq!(r.reason, RejectReason::Rejected);
}

#[test]
fn object_form_is_accepted() {
    let verbs = parse(r#"{"verbs": [{"verb": "hangup"}]}"#).unwrap();
    assert_eq!(verbs, [Verb::Hangup(Hangup {})]);
    assert_eq!(parse("[]").unwrap(), []);
}

#[test]
fn documents_round_trip_through_serde() {
    let json = r#"[{"verb":"dial","targets":[{"type":"sip","uri":"sip:101@10.0.0.1"},
        {"type":"trunk","trunk":"pbx2","number":"0032123"}],"strategy":"hunt","timeout":10,
        "caller_id":"+3212345","time_limit":60,"action":"https://a.example/x","record":true}]"#;
    let verbs = parse(json).unwrap();
    let again = serde_json::to_string(&verbs).unwrap();
    assert_eq!(parse(&again).unwrap(), verbs);
}

#[test]
fn not_a_document() {
    let e = error("<Response/>");
    assert_eq!((e.index, e.field.as_deref()), (None, None));
    assert!(e.message.starts_with("the response is not JSON"), "{e}");
    let e = error(r#"{"verb": "hangup"}"#);
    assert!(e.message.contains("array of verbs"), "{e}");
    let e = error(r#"{"verbs": 3}"#);
    assert!(e.message.contains("`verbs` must be an array"), "{e}");
}

#[test]
fn unknown_verb_names_its_index() {
    let e = error(r#"[{"verb": "hangup"}, {"verb": "dance"}]"#);
    assert_eq!(e.index, Some(1));
    assert_eq!(e.field.as_deref(), Some("verb"));
    assert!(e.message.contains("unknown verb \"dance\""), "{e}");
    assert!(
        e.to_string().starts_with("verb 1: verb: unknown verb"),
        "{e}"
    );
}

#[test]
fn verb_must_be_an_object_with_a_name() {
    let e = error(r#"["hangup"]"#);
    assert_eq!(e.index, Some(0));
    let e = error(r#"[{"text": "hi"}]"#);
    assert_eq!(
        (e.field.as_deref(), e.message.as_str()),
        (Some("verb"), "is missing")
    );
    let e = error(r#"[{"verb": 7}]"#);
    assert_eq!(e.message, "must be a string");
}

#[test]
fn wrong_type_names_the_field() {
    let e = error(r#"[{"verb": "say", "text": "a"}, {"verb": "gather", "num_digits": "four"}]"#);
    assert_eq!(e.index, Some(1));
    assert_eq!(e.verb.as_deref(), Some("gather"));
    assert_eq!(e.field.as_deref(), Some("num_digits"));
    assert!(e.message.contains("invalid type"), "{e}");
    assert_eq!(
        e.to_string(),
        format!("verb 1 (gather): num_digits: {}", e.message)
    );
}

#[test]
fn missing_and_unknown_fields_are_named() {
    let e = error(r#"[{"verb": "say"}]"#);
    assert_eq!(
        (e.field.as_deref(), e.message.as_str()),
        (Some("text"), "is required")
    );
    let e = error(r#"[{"verb": "pause", "lenght": 2}]"#);
    assert_eq!(e.field.as_deref(), Some("lenght"));
    assert!(e.message.contains("unknown field"), "{e}");
    let e = error(r#"[{"verb": "redirect"}]"#);
    assert_eq!(e.field.as_deref(), Some("url"));
}

#[test]
fn nested_fields_have_paths() {
    let e = error(
        r#"[{"verb": "dial", "targets": [{"type": "extension", "number": "58102"},
        {"type": "extension", "number": "x1"}]}]"#,
    );
    assert_eq!(e.field.as_deref(), Some("targets[1].number"), "{e}");
    assert!(e.message.contains("digits"), "{e}");
    let e = error(r#"[{"verb": "dial", "targets": [{"type": "pager", "number": "1"}]}]"#);
    assert_eq!(e.field.as_deref(), Some("targets[0].type"), "{e}");
    let e = error(r#"[{"verb": "gather", "prompts": [{"verb": "play", "loop": 2}]}]"#);
    assert_eq!(e.field.as_deref(), Some("prompts[0].url"), "{e}");
    let e = error(r#"[{"verb": "gather", "prompts": [{"verb": "hangup"}]}]"#);
    assert_eq!(e.field.as_deref(), Some("prompts[0].verb"), "{e}");
    let e =
        error(r#"[{"verb": "gather", "prompts": [{"verb": "say", "text": "x", "loop": "two"}]}]"#);
    assert_eq!(e.field.as_deref(), Some("prompts[0].loop"), "{e}");
    let e = error(r#"[{"verb": "dial", "targets": [{"type": "trunk", "trunk": "pbx2"}]}]"#);
    assert_eq!(
        (e.field.as_deref(), e.message.as_str()),
        (Some("targets[0].number"), "is required")
    );
}

#[test]
fn value_rules_are_enforced() {
    let cases = [
        (r#"{"verb": "play"}"#, "url"),
        (
            r#"{"verb": "play", "url": "/a.wav", "recording": "x"}"#,
            "recording",
        ),
        (r#"{"verb": "play", "url": "ftp://x/a.wav"}"#, "url"),
        (
            r#"{"verb": "play", "recording": "x", "loop": 5000}"#,
            "loop",
        ),
        (r#"{"verb": "say", "text": "  "}"#, "text"),
        (
            r#"{"verb": "say", "text": "hi", "language": "en us"}"#,
            "language",
        ),
        (r#"{"verb": "pause", "length": 0}"#, "length"),
        (r#"{"verb": "gather", "num_digits": 0}"#, "num_digits"),
        (
            r#"{"verb": "gather", "finish_on_key": "A"}"#,
            "finish_on_key",
        ),
        (
            r##"{"verb": "gather", "finish_on_key": "#*"}"##,
            "finish_on_key",
        ),
        (r#"{"verb": "gather", "input": ["speech"]}"#, "input[0]"),
        (r#"{"verb": "dial", "targets": []}"#, "targets"),
        (
            r#"{"verb": "dial", "targets": [{"type": "sip", "uri": "101@x"}]}"#,
            "targets[0].uri",
        ),
        (
            r#"{"verb": "dial", "targets": [{"type": "queue", "queue": "q"}, {"type": "extension", "number": "101"}]}"#,
            "targets",
        ),
        (
            r#"{"verb": "dial", "targets": [{"type": "extension", "number": "101"}], "timeout": 0}"#,
            "timeout",
        ),
        (r#"{"verb": "record", "max_length": 0}"#, "max_length"),
        (
            r#"{"verb": "record", "finish_on_key": "x"}"#,
            "finish_on_key",
        ),
        (r#"{"verb": "enqueue", "queue": "has space"}"#, "queue"),
        (r#"{"verb": "reject", "reason": "later"}"#, "reason"),
    ];
    for (verb, field) in cases {
        let e = error(&format!("[{verb}]"));
        assert_eq!(e.index, Some(0), "{verb}: {e}");
        assert_eq!(e.field.as_deref(), Some(field), "{verb}: {e}");
        assert!(!e.message.is_empty());
    }
}

#[test]
fn document_size_is_bounded() {
    let many = format!("[{}]", vec![r#"{"verb":"pause"}"#; MAX_VERBS + 1].join(","));
    let e = error(&many);
    assert!(e.message.contains("at most"), "{e}");
}
