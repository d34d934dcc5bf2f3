//! The client's address, for throttling: the socket's peer, or, when that peer is a trusted reverse proxy,
//! the address the proxy appended last to `X-Forwarded-For` (earlier entries are the client's to forge).

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

/// The socket peer of a request, from the connection info the accept loop gives every request.
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip().to_canonical())
}

/// The client address of a request whose socket peer is `peer`.
pub fn address(peer: Option<IpAddr>, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|value| value.to_str().ok()).next_back();
    let last = forwarded.and_then(|list| list.rsplit(',').next()).map(str::trim);
    Some(last.and_then(|text| text.parse().ok()).unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_trusted_proxies_may_name_the_client() {
        let proxy = IpAddr::from([10, 0, 0, 1]);
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "198.51.100.7, 203.0.113.9".parse().unwrap_or_else(|_| unreachable!()));
        assert_eq!(address(Some(proxy), &headers, &[]), Some(proxy));
        assert_eq!(address(Some(proxy), &headers, &[proxy]), Some(IpAddr::from([203, 0, 113, 9])));
        assert_eq!(address(Some(proxy), &HeaderMap::new(), &[proxy]), Some(proxy));
        assert_eq!(address(None, &headers, &[proxy]), None);
    }
}
