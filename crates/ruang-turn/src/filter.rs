//! A transport wrapper that refuses TURN permissions and channel bindings to peers the [`PeerPolicy`]
//! denies, with 403 Forbidden, before the TURN library sees them.

use std::borrow::Cow;
use std::net::SocketAddr;

use medea_turn::attr::{Attribute, ErrorCode, XorPeerAddress};
use medea_turn::transport::{self, Request, Transport};
use stun_codec::rfc5766::errors::Forbidden;
use stun_codec::rfc5766::methods::{CHANNEL_BIND, CREATE_PERMISSION};
use stun_codec::{Message, MessageClass};

use crate::peers::PeerPolicy;

/// Wraps a UDP or TCP transport of the TURN server.
pub struct PeerFilter<T> {
    inner: T,
    policy: PeerPolicy,
}

impl<T> PeerFilter<T> {
    /// Filters `inner` with `policy`.
    pub fn new(inner: T, policy: PeerPolicy) -> Self {
        PeerFilter { inner, policy }
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
            if let Request::Message(message) = &request
                && self.denied(message)
            {
                tracing::info!(proto = self.inner.proto(), "TURN: refused a permission to a denied peer range");
                let mut refusal = Message::new(MessageClass::ErrorResponse, message.method(), message.transaction_id());
                refusal.add_attribute(ErrorCode::from(Forbidden));
                let _ = self.inner.send_msg_to(refusal, source).await;
                continue;
            }
            return Ok((request, source));
        }
    }

    async fn send_to(&self, data: Cow<'_, [u8]>, target: SocketAddr) -> Result<(), transport::Error> {
        self.inner.send_to(data, target).await
    }

    fn local_addr(&self) -> SocketAddr {
        self.inner.local_addr()
    }

    fn proto(&self) -> u8 {
        self.inner.proto()
    }
}
