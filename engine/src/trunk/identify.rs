//! Which trunk a request comes from, by its source address: a trunk set to trust its
//! peer's addresses (`inbound_auth: address`) owns the requests from the addresses its
//! host resolves to. Credentials are checked elsewhere (`sip::auth`).

use crate::store::{InboundAuth, InboundTrunk};
use std::net::IpAddr;

/// The addresses `host` stands for: itself when it is an IP address, else what the
/// resolver says (none when it cannot be resolved: the trunk then owns nothing).
pub async fn addresses(host: &str) -> Vec<IpAddr> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return vec![ip];
    }
    match tokio::net::lookup_host((bare, 0)).await {
        Ok(found) => found.map(|a| a.ip()).collect(),
        Err(e) => {
            tracing::debug!(%host, error = %e, "cannot resolve a trunk's host");
            Vec::new()
        }
    }
}

/// The first trunk (by name) trusting `source` by address.
pub async fn by_address(trunks: &[InboundTrunk], source: IpAddr) -> Option<&InboundTrunk> {
    for trunk in trunks.iter().filter(|t| t.auth == InboundAuth::Address) {
        if addresses(&trunk.host).await.contains(&source) {
            return Some(trunk);
        }
    }
    None
}

/// Is `source` one of the addresses of `trunk`'s host?
pub async fn is_peer(trunk: &InboundTrunk, source: IpAddr) -> bool {
    addresses(&trunk.host).await.contains(&source)
}
