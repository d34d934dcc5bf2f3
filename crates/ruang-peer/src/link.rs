//! One remote participant: a str0m `Rtc` (full ICE, DTLS, SCTP; sans-IO, time passed in), its negotiation
//! as docs/protocol.md describes it (perfect negotiation with the polite/impolite roles of the mesh), the
//! negotiated `files` data channel (id 0, ordered) and the [`Transfers`] on it, pumped with flow control.
//!
//! Media: a browser in a mesh room offers audio, two videos and the application m-line to everyone; str0m
//! answers the media sections too (nothing is ever sent on them, and what arrives is dropped). Our own
//! offers carry only the application m-line, which the web client answers in mesh and SFU rooms alike (it
//! is the shape of its files-only connections).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use ruang_proto::{IceCandidate, PeerId};
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::channel::{ChannelConfig, ChannelId, Reliability};
use str0m::net::{Protocol, Receive};
use str0m::{Candidate, Event, Input, Output, Rtc, RtcError};

use crate::transfer::{Outbound, ReceivePolicy, Transfers};

/// Stop writing to the channel above this many buffered bytes (the driver writes again after each input).
const BUFFER_HIGH: usize = 1 << 20;

/// What str0m may hold for the association (above [`BUFFER_HIGH`], so a whole chunk always fits).
const SCTP_MAX_BUFFERED: usize = 2 << 20;

/// A negotiation step failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The peer's SDP could not be read.
    #[error("unreadable SDP from the peer: {0}")]
    Sdp(String),
    /// str0m refused it.
    #[error("WebRTC: {0}")]
    Rtc(#[from] RtcError),
    /// Nothing to offer (cannot happen: an offer always adds the channel).
    #[error("no offer could be made")]
    NoOffer,
}

/// Our ICE candidates: the host address (none in a relay-only room) and a relayed one once allocated.
#[derive(Clone, Copy, Debug)]
pub struct Candidates {
    /// The UDP socket's own address.
    pub local: SocketAddr,
    /// Offer the socket's address as a host candidate.
    pub host: bool,
    /// The TURN allocation's relayed address, if there is one yet.
    pub relay: Option<SocketAddr>,
}

/// A datagram str0m wants sent.
#[derive(Debug)]
pub struct Datagram {
    /// From which of our addresses (the relayed one goes through TURN).
    pub source: SocketAddr,
    /// To whom.
    pub destination: SocketAddr,
    /// What.
    pub contents: Vec<u8>,
}

/// What the driver must do after polling a link.
#[derive(Debug, Default)]
pub struct Polled {
    /// Datagrams to send.
    pub transmit: Vec<Datagram>,
    /// When to poll again at the latest.
    pub timeout: Option<Instant>,
    /// The files channel just opened.
    pub opened: bool,
    /// The connection is over (ICE gave up, or str0m failed).
    pub dead: bool,
}

/// A connection to one participant.
pub struct Link {
    /// Whom.
    pub peer: PeerId,
    /// Our role towards them (the participant already in the room is polite).
    pub polite: bool,
    rtc: Rtc,
    pending: Option<SdpPendingOffer>,
    channel: Option<ChannelId>,
    remote_fingerprint: Option<String>,
    stalled: Option<Outbound>,
    /// The `a=mid` of the first m-line (a trickled candidate names it).
    first_mid: Option<String>,
    /// The file transfers on its channel.
    pub transfers: Transfers,
    /// A sender has offered its files on this link.
    pub offered_files: bool,
}

fn files_channel() -> ChannelConfig {
    ChannelConfig {
        label: "files".into(),
        ordered: true,
        reliability: Reliability::Reliable,
        negotiated: Some(0),
        protocol: String::new(),
    }
}

fn new_rtc(candidates: Candidates, now: Instant) -> Rtc {
    let mut rtc = Rtc::builder()
        .set_crypto_provider(Arc::new(str0m::crypto::from_feature_flags()))
        .set_sctp_max_buffered_amount(SCTP_MAX_BUFFERED)
        .build(now);
    let local = candidates.local;
    if candidates.host {
        match Candidate::host(local, "udp") {
            Ok(candidate) => {
                rtc.add_local_candidate(candidate);
            }
            Err(err) => tracing::warn!(%local, "peer: no host candidate: {err}"),
        }
    }
    if let Some(relay) = candidates.relay {
        match Candidate::relayed(relay, local, "udp") {
            Ok(candidate) => {
                rtc.add_local_candidate(candidate);
            }
            Err(err) => tracing::warn!(%relay, "peer: no relayed candidate: {err}"),
        }
    }
    rtc
}

/// The first `a=mid` of an SDP.
fn first_mid(sdp: &str) -> Option<String> {
    sdp.lines().find_map(|l| l.trim().strip_prefix("a=mid:")).map(str::to_owned)
}

/// The `a=fingerprint` of an SDP: a new value means a new connection (a new `RTCPeerConnection`), not a
/// renegotiation of the current one.
fn fingerprint(sdp: &str) -> Option<String> {
    sdp.lines().find_map(|l| l.trim().strip_prefix("a=fingerprint:")).map(str::to_owned)
}

impl Link {
    /// A connection we offer: the offer's SDP goes to the peer.
    pub fn offer(
        peer: PeerId,
        polite: bool,
        policy: Option<ReceivePolicy>,
        candidates: Candidates,
        now: Instant,
    ) -> Result<(Link, String), LinkError> {
        let mut rtc = new_rtc(candidates, now);
        let mut api = rtc.sdp_api();
        api.add_channel_with_config(files_channel());
        let (offer, pending) = api.apply().ok_or(LinkError::NoOffer)?;
        let sdp = offer.to_sdp_string();
        let mut link = Link::with(peer, polite, rtc, Some(pending), None, policy);
        link.first_mid = first_mid(&sdp);
        Ok((link, sdp))
    }

    /// A connection the peer offers: the answer's SDP goes back.
    pub fn answer(
        peer: PeerId,
        polite: bool,
        policy: Option<ReceivePolicy>,
        candidates: Candidates,
        now: Instant,
        offer: &str,
    ) -> Result<(Link, String), LinkError> {
        let mut rtc = new_rtc(candidates, now);
        let parsed = SdpOffer::from_sdp_string(offer).map_err(|e| LinkError::Sdp(e.to_string()))?;
        let answer = rtc.sdp_api().accept_offer(parsed)?;
        rtc.direct_api().create_data_channel(files_channel());
        let mut link = Link::with(peer, polite, rtc, None, fingerprint(offer), policy);
        link.first_mid = first_mid(offer);
        Ok((link, answer.to_sdp_string()))
    }

    fn with(
        peer: PeerId,
        polite: bool,
        rtc: Rtc,
        pending: Option<SdpPendingOffer>,
        remote_fingerprint: Option<String>,
        policy: Option<ReceivePolicy>,
    ) -> Link {
        Link {
            peer,
            polite,
            rtc,
            pending,
            channel: None,
            remote_fingerprint,
            stalled: None,
            first_mid: None,
            transfers: Transfers::new(policy),
            offered_files: false,
        }
    }

    /// Whether an offer from the peer belongs to this connection (a renegotiation: same certificate) rather
    /// than to a new one of theirs.
    pub fn same_connection(&self, offer: &str) -> bool {
        self.remote_fingerprint.is_some() && self.remote_fingerprint == fingerprint(offer)
    }

    /// Whether our own offer is out, unanswered.
    pub fn offering(&self) -> bool {
        self.pending.is_some()
    }

    /// A renegotiation offer on this connection (an ICE restart, a direction change): the answer.
    pub fn renegotiate(&mut self, offer: &str) -> Result<String, LinkError> {
        let parsed = SdpOffer::from_sdp_string(offer).map_err(|e| LinkError::Sdp(e.to_string()))?;
        Ok(self.rtc.sdp_api().accept_offer(parsed)?.to_sdp_string())
    }

    /// The peer's answer to our offer; a stale one (no offer out) is ignored.
    pub fn accept_answer(&mut self, answer: &str) -> Result<(), LinkError> {
        let Some(pending) = self.pending.take() else { return Ok(()) };
        let parsed = SdpAnswer::from_sdp_string(answer).map_err(|e| LinkError::Sdp(e.to_string()))?;
        self.rtc.sdp_api().accept_answer(pending, parsed)?;
        self.remote_fingerprint = fingerprint(answer);
        Ok(())
    }

    /// A trickled candidate. Ones str0m cannot use (mDNS names, end of candidates) are skipped.
    pub fn add_candidate(&mut self, candidate: &IceCandidate) {
        let line = candidate.candidate.trim().trim_start_matches("a=");
        if line.is_empty() {
            return;
        }
        match Candidate::from_sdp_string(line) {
            Ok(c) => self.rtc.add_remote_candidate(c),
            Err(err) => tracing::debug!(peer = %self.peer, "peer: skipped a candidate: {err}"),
        }
    }

    /// A relayed address became ours after the connection was made: the candidate to trickle to the peer.
    pub fn add_relay(&mut self, relay: SocketAddr, local: SocketAddr) -> Option<IceCandidate> {
        let candidate = Candidate::relayed(relay, local, "udp").ok()?;
        let line = self.rtc.add_local_candidate(candidate)?.to_sdp_string();
        Some(IceCandidate {
            candidate: line,
            sdp_mid: self.first_mid.clone(),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        })
    }

    /// Whether a datagram is for this connection.
    pub fn accepts(&self, now: Instant, from: SocketAddr, to: SocketAddr, data: &[u8]) -> bool {
        Receive::new(Protocol::Udp, from, to, data).is_ok_and(|r| self.rtc.accepts(&Input::Receive(now, r)))
    }

    /// A datagram for this connection.
    pub fn receive(&mut self, now: Instant, from: SocketAddr, to: SocketAddr, data: &[u8]) {
        if let Ok(r) = Receive::new(Protocol::Udp, from, to, data)
            && let Err(err) = self.rtc.handle_input(Input::Receive(now, r))
        {
            tracing::debug!(peer = %self.peer, "peer: dropped a datagram: {err}");
        }
    }

    /// Time passes.
    pub fn tick(&mut self, now: Instant) {
        if let Err(err) = self.rtc.handle_input(Input::Timeout(now)) {
            tracing::debug!(peer = %self.peer, "peer: timeout: {err}");
        }
    }

    /// Writes what the transfers have while the channel has room, then drains str0m: datagrams, events
    /// (channel data goes to the transfers), the next timeout.
    pub fn poll(&mut self, now: Instant) -> Polled {
        let mut polled = Polled::default();
        for _ in 0..2 {
            self.pump(now);
            loop {
                match self.rtc.poll_output() {
                    Ok(Output::Timeout(at)) => {
                        polled.timeout = Some(at);
                        break;
                    }
                    Ok(Output::Transmit(t)) => polled.transmit.push(Datagram {
                        source: t.source,
                        destination: t.destination,
                        contents: t.contents.to_vec(),
                    }),
                    Ok(Output::Event(event)) => self.on_event(event, now, &mut polled),
                    Err(err) => {
                        tracing::warn!(peer = %self.peer, "peer: connection failed: {err}");
                        polled.dead = true;
                        break;
                    }
                }
            }
        }
        if !self.rtc.is_alive() {
            polled.dead = true;
        }
        polled
    }

    fn on_event(&mut self, event: Event, now: Instant, polled: &mut Polled) {
        match event {
            Event::ChannelOpen(id, label) => {
                tracing::debug!(peer = %self.peer, %label, "peer: data channel open");
                if self.channel.is_none() {
                    self.channel = Some(id);
                    polled.opened = true;
                }
            }
            Event::ChannelData(data) if Some(data.id) == self.channel => {
                if data.binary {
                    self.transfers.handle_binary(&data.data, now);
                } else if let Ok(text) = std::str::from_utf8(&data.data) {
                    self.transfers.handle_text(text, now);
                }
            }
            Event::ChannelClose(id) if Some(id) == self.channel => {
                self.channel = None;
                self.transfers.detach("the data channel closed");
            }
            Event::IceConnectionStateChange(state) => {
                tracing::debug!(peer = %self.peer, ?state, "peer: ICE state");
            }
            _ => {}
        }
    }

    /// Flow control: write while the channel's buffer is below the high-water mark.
    fn pump(&mut self, now: Instant) {
        let Some(id) = self.channel else { return };
        loop {
            let Some(mut channel) = self.rtc.channel(id) else { return };
            if channel.buffered_amount() >= BUFFER_HIGH {
                return;
            }
            let Some(message) = self.stalled.take().or_else(|| self.transfers.poll_outbound(now)) else { return };
            let written = match &message {
                Outbound::Text(text) => channel.write(false, text.as_bytes()),
                Outbound::Binary(bytes) => channel.write(true, bytes),
            };
            match written {
                Ok(true) => {}
                Ok(false) => {
                    self.stalled = Some(message);
                    return;
                }
                Err(err) => {
                    tracing::warn!(peer = %self.peer, "peer: cannot write to the data channel: {err}");
                    self.transfers.detach("cannot write to the data channel");
                    return;
                }
            }
        }
    }

    /// Whether everything written has left (nothing buffered or held back).
    pub fn flushed(&mut self) -> bool {
        let buffered = self.channel.and_then(|id| self.rtc.channel(id)).map_or(0, |mut c| c.buffered_amount());
        buffered == 0 && self.stalled.is_none()
    }
}
