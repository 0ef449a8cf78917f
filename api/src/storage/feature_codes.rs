//! Feature codes changed from their defaults (the defaults live in
//! [`contract::models::Feature`]).

use super::{Db, Result, decode, get_bool, text};
use contract::models::{Feature, FeatureCode};
use contract::types::FeatureCodeString;

/// Every feature with its code now: its stored change, or its default.
pub async fn all(db: &Db) -> Result<Vec<FeatureCode>> {
    let rows =
        sqlx::query("SELECT feature, code, CAST(enabled AS INTEGER) AS enabled FROM feature_codes")
            .fetch_all(db.pool())
            .await?;
    let mut stored = std::collections::HashMap::new();
    for row in rows {
        if let Some(feature) = Feature::parse(&text(&row, "feature")?) {
            let code = decode(
                "feature_codes",
                "code",
                text(&row, "code")?,
                FeatureCodeString::parse,
            )?;
            stored.insert(feature, (code, get_bool(&row, "enabled")?));
        }
    }
    Ok(Feature::ALL
        .into_iter()
        .map(|feature| {
            let (code, enabled) = stored.remove(&feature).unwrap_or_else(|| {
                (
                    FeatureCodeString::parse(feature.default_code())
                        .unwrap_or_else(|_| unreachable!("default codes are valid")),
                    true,
                )
            });
            FeatureCode {
                feature,
                code,
                enabled,
                takes_target: feature.takes_target(),
                description: feature.description().to_owned(),
            }
        })
        .collect())
}

pub async fn save(db: &Db, code: &FeatureCode) -> Result<()> {
    sqlx::query(
        "INSERT INTO feature_codes (feature, code, enabled) VALUES ($1, $2, $3) \
         ON CONFLICT (feature) DO UPDATE SET code = $2, enabled = $3",
    )
    .bind(code.feature.as_str())
    .bind(code.code.as_str())
    .bind(code.enabled)
    .execute(db.pool())
    .await?;
    Ok(())
}
