//! `/apps/ivr/{name}`: an IVR menu. The announcement plays while keys are collected
//! (RFC 4733 or in-band, the first key interrupts it); `…/choice` receives the keys:
//! an option's destination, `repeat` (the menu again), an extension's number when
//! direct dial is on, or an invalid choice — its announcement, then the menu again,
//! until the `max_invalid`-th goes to the invalid destination. Silence goes to
//! `…/silence`: the menu again until the `max_timeouts`-th silence goes to the timeout
//! destination. The app keeps no state: the counts travel in the URLs.

use super::{AppResult, Apps, Call, Document, announce, go, missing};
use crate::extract::Query;
use crate::storage;
use axum::extract::{Path, State};
use contract::models::Ivr;
use contract::types::{Announcement, Destination, IvrChoice};
use serde::Deserialize;
use serde_json::{Value, json};

/// Seconds to wait between keys when direct dial lets callers type extension numbers.
const INTER_DIGIT_TIMEOUT: u32 = 3;
const INVALID: &str = "That is not a valid choice.";

/// Where the caller stands in the menu: silences and invalid keys in a row, and what
/// happened last (played before the menu).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Round {
    pub timeouts: u32,
    pub invalid: u32,
    pub after: Option<Last>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Last {
    Timeout,
    Invalid,
}

impl Round {
    fn query(self) -> String {
        format!("timeouts={}&invalid={}", self.timeouts, self.invalid)
    }
}

/// The menu at `round`: what happened last announced, then the announcement while
/// keys are collected; silence goes on to `…/silence`.
pub fn menu(ivr: &Ivr, round: Round) -> Value {
    let mut prompts = Vec::new();
    match round.after {
        Some(Last::Timeout) => prompts.extend(ivr.timeout_announcement.as_ref().map(announce)),
        Some(Last::Invalid) => prompts.push(announce(
            ivr.invalid_announcement
                .as_ref()
                .unwrap_or(&Announcement::say(INVALID)),
        )),
        None => {}
    }
    prompts.push(announce(&ivr.announcement));
    let single_keys = ivr.options.keys().all(|k| k.as_str().len() == 1);
    let hash_is_option = ivr.options.keys().any(|k| k.as_str().contains('#'));
    let mut gather = json!({
        "verb": "gather",
        "timeout": ivr.timeout,
        "finish_on_key": if hash_is_option { "" } else { "#" },
        "action": format!("/apps/ivr/{}/choice?{}", ivr.name, round.query()),
        "prompts": prompts,
    });
    if ivr.direct_dial || !single_keys {
        gather["inter_digit_timeout"] = json!(INTER_DIGIT_TIMEOUT);
    } else if !ivr.options.is_empty() {
        gather["num_digits"] = json!(1);
    }
    json!([
        gather,
        {"verb": "redirect", "url": format!("/apps/ivr/{}/silence?{}", ivr.name, round.query())},
    ])
}

/// What the caller's `digits` lead to; `extension` says whether they are an
/// extension's number (for direct dial).
pub fn choice(ivr: &Ivr, round: Round, digits: &str, extension: bool) -> Value {
    let chosen = ivr.options.iter().find(|(k, _)| k.as_str() == digits);
    match chosen {
        Some((_, IvrChoice::Repeat)) => menu(ivr, Round::default()),
        Some((_, IvrChoice::Go(destination))) => go(destination),
        None if ivr.direct_dial && extension => {
            match Destination::parse(format!("extension:{digits}").as_str()) {
                Ok(d) => go(&d),
                Err(_) => invalid(ivr, round),
            }
        }
        None => invalid(ivr, round),
    }
}

fn invalid(ivr: &Ivr, round: Round) -> Value {
    let invalid = round.invalid + 1;
    if invalid >= ivr.max_invalid {
        return leave(ivr.invalid_destination.as_ref());
    }
    menu(
        ivr,
        Round {
            invalid,
            after: Some(Last::Invalid),
            ..round
        },
    )
}

/// After a silence: the menu again, or the timeout destination.
pub fn silence(ivr: &Ivr, round: Round) -> Value {
    let timeouts = round.timeouts + 1;
    if timeouts >= ivr.max_timeouts {
        return leave(ivr.timeout_destination.as_ref());
    }
    menu(
        ivr,
        Round {
            timeouts,
            after: Some(Last::Timeout),
            ..round
        },
    )
}

fn leave(destination: Option<&Destination>) -> Value {
    destination.map_or_else(|| json!([{"verb": "hangup"}]), go)
}

async fn load(apps: &Apps, name: &str) -> crate::error::ApiResult<Ivr> {
    storage::ivrs::get(&apps.db, name)
        .await?
        .ok_or_else(|| missing(&format!("IVR {name}")))
}

pub async fn serve_menu(
    State(apps): State<Apps>,
    Path(name): Path<String>,
    Query(round): Query<Round>,
    Call(_): Call,
) -> AppResult {
    Ok(Document(menu(&load(&apps, &name).await?, round)))
}

pub async fn serve_choice(
    State(apps): State<Apps>,
    Path(name): Path<String>,
    Query(round): Query<Round>,
    Call(call): Call,
) -> AppResult {
    let ivr = load(&apps, &name).await?;
    let digits = call.digits.unwrap_or_default();
    let extension = ivr.direct_dial
        && !digits.is_empty()
        && storage::extensions::exists(&apps.db, &digits).await?;
    Ok(Document(choice(&ivr, round, &digits, extension)))
}

pub async fn serve_silence(
    State(apps): State<Apps>,
    Path(name): Path<String>,
    Query(round): Query<Round>,
    Call(_): Call,
) -> AppResult {
    Ok(Document(silence(&load(&apps, &name).await?, round)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::types::{IvrKey, ResourceName};

    fn ivr() -> Ivr {
        let mut options = std::collections::BTreeMap::new();
        for (k, c) in [
            ("1", "ringgroup:301"),
            ("2", "ringgroup:302"),
            ("3", "repeat"),
        ] {
            options.insert(IvrKey::parse(k).unwrap(), IvrChoice::parse(c).unwrap());
        }
        Ivr {
            name: ResourceName::parse("VoicemailCenter").unwrap(),
            announcement: Announcement {
                recording: Some(ResourceName::parse("VoicemailCenter").unwrap()),
                say: None,
                language: None,
            },
            options,
            direct_dial: false,
            timeout: 10,
            max_timeouts: 3,
            timeout_announcement: None,
            timeout_destination: None,
            max_invalid: 3,
            invalid_announcement: None,
            invalid_destination: Some(Destination::parse("voicemail:58102").unwrap()),
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn valid(doc: &Value) -> Value {
        contract::verbs::parse_document(doc.to_string().as_bytes()).expect("a valid document");
        doc.clone()
    }

    #[test]
    fn the_menu_collects_one_key_while_the_announcement_plays() {
        let doc = valid(&menu(&ivr(), Round::default()));
        assert_eq!(doc[0]["verb"], "gather");
        assert_eq!(doc[0]["num_digits"], 1);
        assert_eq!(doc[0]["timeout"], 10);
        assert_eq!(doc[0]["prompts"][0]["recording"], "VoicemailCenter");
        assert_eq!(
            doc[0]["action"],
            "/apps/ivr/VoicemailCenter/choice?timeouts=0&invalid=0"
        );
        assert_eq!(
            doc[1]["url"],
            "/apps/ivr/VoicemailCenter/silence?timeouts=0&invalid=0"
        );
    }

    #[test]
    fn options_lead_to_their_destinations_and_3_repeats() {
        let i = ivr();
        assert_eq!(
            choice(&i, Round::default(), "1", false)[0]["destination"],
            "ringgroup:301"
        );
        assert_eq!(
            choice(&i, Round::default(), "2", false)[0]["destination"],
            "ringgroup:302"
        );
        let again = valid(&choice(
            &i,
            Round {
                invalid: 2,
                ..Round::default()
            },
            "3",
            false,
        ));
        assert_eq!(
            again[0]["action"],
            "/apps/ivr/VoicemailCenter/choice?timeouts=0&invalid=0"
        );
    }

    #[test]
    fn the_third_invalid_key_leaves_for_the_invalid_destination() {
        let i = ivr();
        let first = valid(&choice(&i, Round::default(), "9", false));
        assert_eq!(first[0]["prompts"][0]["text"], INVALID);
        assert_eq!(first[0]["prompts"][1]["recording"], "VoicemailCenter");
        assert_eq!(
            first[0]["action"],
            "/apps/ivr/VoicemailCenter/choice?timeouts=0&invalid=1"
        );
        let second = choice(
            &i,
            Round {
                invalid: 1,
                ..Round::default()
            },
            "9",
            false,
        );
        assert_eq!(second[0]["verb"], "gather");
        let third = choice(
            &i,
            Round {
                invalid: 2,
                ..Round::default()
            },
            "9",
            false,
        );
        assert_eq!(third[0]["destination"], "voicemail:58102");
    }

    #[test]
    fn silence_repeats_the_menu_then_hangs_up_by_default() {
        let i = ivr();
        let again = valid(&silence(&i, Round::default()));
        assert_eq!(again[0]["prompts"][0]["recording"], "VoicemailCenter");
        assert_eq!(
            again[1]["url"],
            "/apps/ivr/VoicemailCenter/silence?timeouts=1&invalid=0"
        );
        assert_eq!(
            silence(
                &i,
                Round {
                    timeouts: 2,
                    ..Round::default()
                }
            )[0]["verb"],
            "hangup"
        );
    }

    #[test]
    fn direct_dial_waits_between_keys_and_rings_extensions() {
        let mut i = ivr();
        i.direct_dial = true;
        let doc = valid(&menu(&i, Round::default()));
        assert_eq!(doc[0]["inter_digit_timeout"], INTER_DIGIT_TIMEOUT);
        assert!(doc[0].get("num_digits").is_none());
        assert_eq!(
            choice(&i, Round::default(), "58103", true)[0]["destination"],
            "extension:58103"
        );
        assert_eq!(
            choice(&i, Round::default(), "58103", false)[0]["verb"],
            "gather"
        );
    }

    #[test]
    fn a_hash_option_disables_the_finish_key() {
        let mut i = ivr();
        i.options
            .insert(IvrKey::parse("#").unwrap(), IvrChoice::Repeat);
        assert_eq!(menu(&i, Round::default())[0]["finish_on_key"], "");
    }
}
