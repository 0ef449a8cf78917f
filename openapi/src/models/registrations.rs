//! Registrations: the contacts phones registered for extensions (read-only; a DELETE
//! unregisters one).

use super::common::page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One registered contact of an extension.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "RG0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "extension": "58101",
    "contact": "sip:58101@192.168.212.20:5060",
    "source": "192.168.212.20:5060",
    "transport": "udp",
    "expires_at": "2026-11-26T15:00:00.000Z",
    "expires_in": 3540,
    "user_agent": "Ekiga/4.0.1",
    "registered_at": "2026-11-26T14:00:00.000Z",
    "updated_at": "2026-11-26T14:01:00.000Z"
}))]
pub struct Registration {
    pub id: String,
    /// The extension number (address of record).
    pub extension: String,
    /// The Contact URI the phone registered.
    pub contact: String,
    /// Where the REGISTER came from (`ip:port`): where calls are sent, NAT or not.
    pub source: String,
    /// `udp` or `tcp`.
    pub transport: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Seconds left.
    pub expires_in: u64,
    pub user_agent: Option<String>,
    #[schema(format = DateTime)]
    pub registered_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// Query parameters of `GET /v1/registrations`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegistrationListParams {
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    /// Only this extension's contacts.
    pub extension: Option<String>,
}

page!(RegistrationList, Registration, "registrations");
