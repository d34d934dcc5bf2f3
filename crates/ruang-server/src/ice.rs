//! What each participant is told about ICE: the STUN/TURN servers (with TURN credentials minted for that
//! participant and refreshed before they expire), and whether it must relay everything through TURN.

use std::collections::HashSet;
use std::time::Duration;

use ruang_proto::{IcePolicy, IceServer, PeerId, RoomName};
use ruang_turn::TurnSecret;
use serde::{Deserialize, Serialize};

/// One configured STUN/TURN server, as in the TOML `[[ice_servers]]` tables.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IceServerConfig {
    /// `stun:`, `turn:` or `turns:` URLs.
    pub urls: Vec<String>,
    /// A fixed TURN username (for servers with static users).
    pub username: Option<String>,
    /// A fixed TURN password.
    pub credential: Option<String>,
    /// The shared secret of a TURN server using the TURN REST scheme (coturn: `use-auth-secret` with
    /// `static-auth-secret`); each participant then gets its own short-lived credential.
    pub secret: Option<String>,
}

/// Relay-only privacy: participants connect only through TURN and never learn each other's addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelayOnlyConfig {
    /// For every room of the server.
    pub all_rooms: bool,
    /// For these rooms only.
    pub rooms: Vec<String>,
}

enum Source {
    Fixed(IceServer),
    Rest { urls: Vec<String>, secret: TurnSecret },
}

/// The ICE servers and policy of one server, ready to hand out per participant.
pub struct IcePlan {
    sources: Vec<Source>,
    ttl_secs: u64,
    /// When credentials must be renewed: set once any source mints them.
    refresh_after: Option<Duration>,
    relay_all: bool,
    relay_rooms: HashSet<String>,
}

/// What one participant gets: the servers, the policy, and when to refresh the credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceGrant {
    /// For `RTCPeerConnection`'s `iceServers`.
    pub servers: Vec<IceServer>,
    /// For `RTCPeerConnection`'s `iceTransportPolicy`.
    pub policy: IcePolicy,
    /// When new credentials must be sent, if any expire.
    pub refresh_after: Option<Duration>,
}

impl IcePlan {
    /// A plan from the configured servers, credential lifetime and relay-only settings.
    pub fn new(servers: &[IceServerConfig], ttl_secs: u64, relay_only: &RelayOnlyConfig) -> Self {
        let sources: Vec<Source> = servers.iter().map(Source::from_config).collect();
        let ttl_secs = ttl_secs.max(2);
        let mints = sources.iter().any(|s| matches!(s, Source::Rest { .. }));
        IcePlan {
            sources,
            ttl_secs,
            refresh_after: mints.then(|| Self::renewal(ttl_secs)),
            relay_all: relay_only.all_rooms,
            relay_rooms: relay_only.rooms.iter().cloned().collect(),
        }
    }

    /// Adds the built-in server: its STUN URL, and its TURN URLs with credentials signed with `secret`.
    pub fn with_builtin(mut self, stun_url: String, turn_urls: Vec<String>, secret: TurnSecret) -> Self {
        let stun = IceServer { urls: vec![stun_url], username: None, credential: None };
        self.sources.splice(0..0, [Source::Fixed(stun), Source::Rest { urls: turn_urls, secret }]);
        self.refresh_after = Some(Self::renewal(self.ttl_secs));
        self
    }

    /// How long after a grant its credentials should be renewed, if they expire.
    pub fn refresh_after(&self) -> Option<Duration> {
        self.refresh_after
    }

    /// The grant for participant `id` of `room` at Unix time `now_secs`.
    pub fn grant(&self, id: PeerId, room: &RoomName, now_secs: u64) -> IceGrant {
        let participant = id.to_string();
        let servers =
            self.sources.iter().map(|source| source.server_for(&participant, now_secs, self.ttl_secs)).collect();
        let relay = self.relay_all || self.relay_rooms.contains(room.as_str());
        let policy = if relay { IcePolicy::Relay } else { IcePolicy::All };
        IceGrant { servers, policy, refresh_after: self.refresh_after }
    }

    /// Renewal at four fifths of the lifetime, so clients always hold a credential that still works.
    fn renewal(ttl_secs: u64) -> Duration {
        Duration::from_secs(ttl_secs * 4 / 5)
    }
}

impl Source {
    fn from_config(config: &IceServerConfig) -> Self {
        match &config.secret {
            Some(secret) => Source::Rest { urls: config.urls.clone(), secret: TurnSecret::new(secret.as_bytes()) },
            None => Source::Fixed(IceServer {
                urls: config.urls.clone(),
                username: config.username.clone(),
                credential: config.credential.clone(),
            }),
        }
    }

    fn server_for(&self, participant: &str, now_secs: u64, ttl_secs: u64) -> IceServer {
        match self {
            Source::Fixed(server) => server.clone(),
            Source::Rest { urls, secret } => {
                let credential = secret.issue(participant, now_secs, ttl_secs);
                IceServer {
                    urls: urls.clone(),
                    username: Some(credential.username),
                    credential: Some(credential.password),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(name: &str) -> RoomName {
        RoomName::parse(name).unwrap()
    }

    #[test]
    fn rest_servers_get_per_participant_credentials_and_fixed_ones_pass_through() {
        let configs = [
            IceServerConfig { urls: vec!["stun:stun.example:3478".into()], ..Default::default() },
            IceServerConfig {
                urls: vec!["turn:turn.example:3478".into()],
                secret: Some("s".into()),
                ..Default::default()
            },
        ];
        let plan = IcePlan::new(&configs, 600, &RelayOnlyConfig::default());
        let grant = plan.grant(PeerId::from_bits(1), &room("r"), 1_000);
        assert_eq!(grant.servers[0].username, None);
        assert_eq!(grant.servers[1].username.as_deref(), Some("1600:0000000000000001"));
        let expected = TurnSecret::new("s").password_for("1600:0000000000000001");
        assert_eq!(grant.servers[1].credential.as_deref(), Some(expected.as_str()));
        assert_eq!(grant.refresh_after, Some(Duration::from_secs(480)));
        assert_eq!(grant.policy, IcePolicy::All);
    }

    #[test]
    fn relay_only_applies_to_listed_rooms_or_all() {
        let some = IcePlan::new(&[], 600, &RelayOnlyConfig { all_rooms: false, rooms: vec!["private".into()] });
        assert_eq!(some.grant(PeerId::from_bits(1), &room("private"), 0).policy, IcePolicy::Relay);
        assert_eq!(some.grant(PeerId::from_bits(1), &room("open"), 0).policy, IcePolicy::All);
        let all = IcePlan::new(&[], 600, &RelayOnlyConfig { all_rooms: true, rooms: vec![] });
        assert_eq!(all.grant(PeerId::from_bits(1), &room("open"), 0).policy, IcePolicy::Relay);
        assert_eq!(all.grant(PeerId::from_bits(1), &room("open"), 0).refresh_after, None, "nothing to refresh");
    }
}
