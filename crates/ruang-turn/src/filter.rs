//! A transport wrapper that enforces ruang's TURN rules before the TURN library sees a request: permissions
//! and channel bindings to peers the [`PeerPolicy`] denies get 403 Forbidden, and allocations beyond the
//! per-participant [`Quota`] get 486 Allocation Quota Reached.

use std::borrow::Cow;
use std::net::SocketAddr;

use medea_turn::attr::{Attribute, ErrorCode, XorPeerAddress};
use medea_turn::transport::{self, Request, Transport};
use std::sync::Arc;

use stun_codec::rfc5766::errors::{AllocationQuotaReached, Forbidden};
use stun_codec::rfc5766::methods::{ALLOCATE, CHANNEL_BIND, CREATE_PERMISSION};
use stun_codec::{Message, MessageClass};

use crate::peers::PeerPolicy;
use crate::quota::Quota;

/// The STUN message types of the allocate answers, as the first two bytes of a message.
const ALLOCATE_SUCCESS: [u8; 2] = [0x01, 0x03];
const ALLOCATE_ERROR: [u8; 2] = [0x01, 0x13];

/// Wraps a UDP or TCP transport of the TURN server.
pub struct PeerFilter<T> {
    inner: T,
    policy: PeerPolicy,
    quota: Arc<Quota>,
}

impl<T> PeerFilter<T> {
    /// Filters `inner` with `policy` and `quota` (shared by all transports of a server).
    pub fn new(inner: T, policy: PeerPolicy, quota: Arc<Quota>) -> Self {
        PeerFilter { inner, policy, quota }
    }

    /// Whether `message` is an allocate request over the participant's quota (counting it otherwise).
    fn over_quota(&self, message: &Message<Attribute>, source: SocketAddr) -> bool {
        if message.class() != MessageClass::Request || message.method() != ALLOCATE {
            return false;
        }
        let username = message.attributes().find_map(|attribute| match attribute {
            Attribute::Username(username) => Some(username.name()),
            _ => None,
        });
        username.is_some_and(|name| !self.quota.request(name, source, message.transaction_id().as_bytes().to_owned()))
    }

    /// Whether `message` asks for a permission or channel to a denied peer.
    fn denied(&self, message: &Message<Attribute>) -> bool {
        let gated = message.class() == MessageClass::Request
            && (message.method() == CREATE_PERMISSION || message.method() == CHANNEL_BIND);
        gated
            && message.attributes().any(|attribute| match attribute {
                Attribute::XorPeerAddress(peer) => !self.policy.allows(XorPeerAddress::address(peer)),
                _ => false,
            })
    }
}

#[async_trait::async_trait]
impl<T: Transport + Send + Sync> Transport for PeerFilter<T> {
    async fn recv_from(&self) -> Result<(Request, SocketAddr), transport::Error> {
        loop {
            let (request, source) = self.inner.recv_from().await?;
            if let Request::Message(message) = &request {
                let refusal = if self.denied(message) {
                    tracing::info!(proto = self.inner.proto(), "TURN: refused a permission to a denied peer range");
                    Some(ErrorCode::from(Forbidden))
                } else if self.over_quota(message, source) {
                    tracing::info!(proto = self.inner.proto(), "TURN: refused an allocation over the quota");
                    Some(ErrorCode::from(AllocationQuotaReached))
                } else {
                    None
                };
                if let Some(code) = refusal {
                    let mut answer =
                        Message::new(MessageClass::ErrorResponse, message.method(), message.transaction_id());
                    answer.add_attribute(code);
                    let _ = self.inner.send_msg_to(answer, source).await;
                    continue;
                }
            }
            return Ok((request, source));
        }
    }

    async fn send_to(&self, data: Cow<'_, [u8]>, target: SocketAddr) -> Result<(), transport::Error> {
        if let (Some(kind), Some(id)) = (data.get(..2), data.get(8..20)) {
            let success = kind == ALLOCATE_SUCCESS;
            if success || kind == ALLOCATE_ERROR {
                let mut transaction = [0u8; 12];
                transaction.copy_from_slice(id);
                self.quota.answered(transaction, success);
            }
        }
        self.inner.send_to(data, target).await
    }

    fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr()
    }

    fn proto(&self) -> u8 {
        self.inner.proto()
    }
}
