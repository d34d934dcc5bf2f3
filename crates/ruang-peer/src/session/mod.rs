//! The driver: one tokio task that owns the signaling WebSocket, one UDP socket shared by every peer
//! connection (datagrams go to the [`Link`] whose `Rtc` accepts them) and the clock, and runs a `send` or
//! `receive` job until it is done or cancelled. Who offers follows docs/protocol.md: in a mesh room the
//! newcomer offers to everyone already there and answers the offers of later ones; in an SFU room
//! connections are opened on demand (a sender offers a files-only connection to its recipients; a receiver
//! answers the offers of the people who send it something). `negotiation` holds those rules, `relay` the
//! room's TURN server (over UDP on the shared socket, or over TCP or TLS); this file the loop, the server's
//! messages and the job's end.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ruang_proto::{IcePolicy, MediaMode, PeerId, Replay, ServerMessage, SignalData, Welcome};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::link::{Candidates, Link};

mod negotiation;
mod relay;
mod turn_stream;

use crate::resume::{Connection, Incoming};
use crate::signaling::{RoomUrl, Signaling};
use crate::transfer::{Direction, Outcome, TransferEvent};
use crate::{Event, Job, PeerConfig, PeerError, Record};
use relay::Relay;

/// How long joining may take.
const JOIN_TIMEOUT: Duration = Duration::from_secs(15);
/// How often we ping the server.
const PING_EVERY: Duration = Duration::from_secs(2);
/// After the job is done or cancelled, how long we wait at most for the peers to acknowledge what we wrote
/// (a `cancel` or `ok` queued behind a megabyte of chunks): leaving first would tell them "left" instead.
const LINGER: Duration = Duration::from_secs(10);
/// At most this many links (a room's participants are bounded by the server anyway).
const MAX_LINKS: usize = 256;

struct Session {
    job: Job,
    candidates: Candidates,
    relay: Option<Relay>,
    links: HashMap<PeerId, Link>,
    names: HashMap<PeerId, String>,
    /// Our role towards each participant: polite towards those who joined after us.
    polite: HashMap<PeerId, bool>,
    mode: MediaMode,
    records: Vec<Record>,
    started: HashMap<String, usize>,
    outbox: Vec<(PeerId, SignalData)>,
    retired: Vec<Link>,
    offers_made: usize,
    finished_in: usize,
    /// After a resume without replay (a restarted server): participants we still have a connection to but
    /// the server did not list, each with the time we stop waiting for them to resume (the welcome's
    /// `resume_grace_ms`, as the web client does). The data channel is peer to peer and goes on meanwhile.
    awaiting: HashMap<PeerId, Instant>,
}

/// Runs the job; the records of every transfer.
pub async fn run(
    config: PeerConfig,
    job: Job,
    events: mpsc::Sender<Event>,
    cancel: CancellationToken,
) -> Result<Vec<Record>, PeerError> {
    let url = RoomUrl::parse(&config.url)?;
    let mut signaling = tokio::time::timeout(JOIN_TIMEOUT, Signaling::connect(&url, &config.trust))
        .await
        .map_err(|_| PeerError::Signaling(format!("{}: no answer", url.ws)))??;
    let socket = UdpSocket::bind(SocketAddr::new(signaling.local_ip, 0))
        .await
        .map_err(|e| PeerError::Network(format!("cannot open a UDP socket: {e}")))?;
    let local = socket.local_addr().map_err(|e| PeerError::Network(e.to_string()))?;
    signaling.join(&url.room, &config.name, &config.credentials).await?;
    let welcome = tokio::time::timeout(JOIN_TIMEOUT, async {
        loop {
            match signaling.next().await?.map(|(message, _)| message) {
                Some(ServerMessage::Welcome(w)) => return Ok(w),
                Some(ServerMessage::Error { code, message, .. }) => {
                    return Err(PeerError::Refused(format!("{}: {message}", code.as_str())));
                }
                Some(ServerMessage::Waiting { .. }) => {
                    let _ = events.send(Event::Waiting).await;
                }
                Some(_) => {}
                None => return Err(PeerError::Signaling("the server closed the connection".into())),
            }
        }
    })
    .await
    .map_err(|_| PeerError::Signaling("no welcome from the server".into()))??;

    let relay_only = welcome.ice_transport_policy == IcePolicy::Relay;
    let relay = Relay::start(&welcome.ice_servers, local, &config.trust, Instant::now()).await;
    if relay_only && relay.is_none() {
        return Err(PeerError::Network("a relay-only room, but no TURN server we can use".into()));
    }
    let mut session = Session {
        job,
        candidates: Candidates { local, host: !relay_only, relay: None },
        relay,
        links: HashMap::new(),
        names: welcome.peers.iter().map(|p| (p.id, p.name.clone())).collect(),
        polite: welcome.peers.iter().map(|p| (p.id, false)).collect(),
        mode: welcome.media_mode.unwrap_or_default(),
        records: Vec::new(),
        started: HashMap::new(),
        outbox: Vec::new(),
        retired: Vec::new(),
        offers_made: 0,
        finished_in: 0,
        awaiting: HashMap::new(),
    };
    let _ = events
        .send(Event::Joined { room: url.room.clone(), peers: welcome.peers.len(), mode: session.mode, relay_only })
        .await;
    let now = Instant::now();
    for peer in &welcome.peers {
        // mesh: the newcomer offers to everyone; SFU: a sender opens files-only connections
        if session.mode == MediaMode::Mesh || session.wants(peer.id) {
            session.open(peer.id, false, now);
        }
    }

    let mut signaling = Connection::new(url, config.trust.clone(), signaling, &welcome);
    let mut buf = vec![0u8; 2048];
    let mut ping = tokio::time::interval(PING_EVERY);
    let mut closing: Option<Instant> = None;
    let mut result = Ok(());
    loop {
        let now = Instant::now();
        // drive every link, send what they produced
        let mut next = now + Duration::from_millis(100);
        session.give_up_waiting(now);
        let mut dead = Vec::new();
        for (id, link) in session.links.iter_mut() {
            let polled = link.poll(now);
            for datagram in polled.transmit {
                match (&mut session.relay, session.candidates.relay) {
                    (Some(turn), Some(relay)) if datagram.source == relay => {
                        turn.client.send_to(datagram.destination, &datagram.contents, now);
                    }
                    _ => {
                        let _ = socket.send_to(&datagram.contents, datagram.destination).await;
                    }
                }
            }
            if let Some(at) = polled.timeout {
                next = next.min(at);
            }
            if polled.opened {
                let _ = events.send(Event::Connected { name: name_of(&session.names, *id) }).await;
                if let Job::Send { files, to } = &session.job
                    && to.as_ref().is_none_or(|n| session.names.get(id) == Some(n))
                    && !link.offered_files
                {
                    link.offered_files = true;
                    for path in files {
                        match link.transfers.offer(path) {
                            Ok(_) => session.offers_made += 1,
                            Err(err) => tracing::warn!(path = %path.display(), "cannot offer: {err}"),
                        }
                    }
                }
            }
            if polled.dead {
                dead.push(*id);
            }
        }
        for mut link in std::mem::take(&mut session.retired) {
            session.collect(&mut link, &events, &cancel).await;
        }
        for id in dead {
            if let Some(mut link) = session.links.remove(&id) {
                link.transfers.detach("the connection to the peer failed");
                session.collect(&mut link, &events, &cancel).await;
            }
        }
        let ids: Vec<PeerId> = session.links.keys().copied().collect();
        for id in ids {
            if let Some(mut link) = session.links.remove(&id) {
                session.collect(&mut link, &events, &cancel).await;
                session.links.insert(id, link);
            }
        }
        if let Some(relayed) = session.use_relay() {
            let _ = events.send(relayed).await;
        }
        if let Some(turn) = session.relay.as_mut() {
            turn.flush(&socket).await;
        }
        for (to, data) in std::mem::take(&mut session.outbox) {
            signaling.signal(to, data).await;
        }

        // done, or lingering until the last messages left
        if closing.is_none() && session.done() {
            closing = Some(now + LINGER);
        }
        if let Some(deadline) = closing
            && (now >= deadline || session.links.values_mut().all(Link::flushed))
        {
            break;
        }

        tokio::select! {
            _ = cancel.cancelled(), if closing.is_none() => {
                for link in session.links.values_mut() {
                    link.transfers.cancel_all();
                }
                closing = Some(Instant::now() + LINGER);
            }
            received = socket.recv_from(&mut buf) => {
                if let Ok((n, from)) = received {
                    let now = Instant::now();
                    let data = &buf[..n];
                    // through the relay: from the peer, to our relayed address
                    if session.relay.as_ref().is_some_and(|turn| turn.udp_server() == Some(from)) {
                        session.on_turn_message(data, now);
                    } else if let Some(link) = session.links.values_mut().find(|l| l.accepts(now, from, local, data)) {
                        link.receive(now, from, local, data);
                    }
                }
            }
            message = signaling.next() => match message {
                Ok(Incoming::Message(message)) => {
                    if let Err(err) = session.on_server(message, Instant::now()) {
                        result = Err(err);
                        break;
                    }
                }
                Ok(Incoming::Resumed(welcome, replay)) => {
                    let _ = events.send(Event::Resumed).await;
                    session.on_resumed(&welcome, replay, Instant::now());
                }
                Err(err) => {
                    result = Err(err);
                    break;
                }
            },
            frame = Relay::next_frame(&mut session.relay) => match frame {
                Some(frame) => session.on_turn_message(&frame, Instant::now()),
                None => {
                    if let Some(turn) = session.relay.as_mut() {
                        turn.stream_closed();
                    }
                }
            },
            _ = ping.tick() => signaling.ping().await,
            _ = tokio::time::sleep_until(next.into()) => {
                let now = Instant::now();
                for link in session.links.values_mut() {
                    link.tick(now);
                }
                if let Some(turn) = session.relay.as_mut() {
                    turn.tick(now).await;
                }
            }
        }
    }
    if result.is_ok() {
        signaling.leave().await;
    }
    // whatever is still going failed (the connection broke) or was cut short
    let mut links: Vec<Link> = session.links.drain().map(|(_, l)| l).collect();
    for link in &mut links {
        link.transfers.detach("ended before the transfer finished");
        session.collect(link, &events, &cancel).await;
    }
    result.map(|()| session.records)
}

fn name_of(names: &HashMap<PeerId, String>, id: PeerId) -> String {
    names.get(&id).cloned().unwrap_or_else(|| id.to_string())
}

impl Session {
    /// Whether we send to this participant.
    fn wants(&self, id: PeerId) -> bool {
        match &self.job {
            Job::Send { to, .. } => to.as_ref().is_none_or(|n| self.names.get(&id) == Some(n)),
            Job::Receive { .. } => false,
        }
    }

    fn policy(&self) -> Option<crate::ReceivePolicy> {
        match &self.job {
            Job::Receive { policy, .. } => Some(policy.clone()),
            Job::Send { .. } => None,
        }
    }

    /// Whether the job is over.
    fn done(&self) -> bool {
        match &self.job {
            // (and nobody we send to is still connecting: they get the files too)
            Job::Send { .. } => {
                self.offers_made > 0
                    && self.links.values().all(|l| !l.transfers.active() && (l.offered_files || !self.wants(l.peer)))
            }
            Job::Receive { count, .. } => count.is_some_and(|c| self.finished_in >= c),
        }
    }

    fn on_server(&mut self, message: ServerMessage, now: Instant) -> Result<(), PeerError> {
        match message {
            ServerMessage::PeerJoined { peer } => {
                self.names.insert(peer.id, peer.name);
                // someone we are still connected to, back after a server restart: the connection goes on
                if self.awaiting.remove(&peer.id).is_some() || self.links.contains_key(&peer.id) {
                    return Ok(());
                }
                self.polite.insert(peer.id, true);
                // mesh: the newcomer offers to us; SFU: we open a files-only connection if we send to them
                if self.mode == MediaMode::Sfu && self.wants(peer.id) {
                    self.open(peer.id, true, now);
                }
            }
            ServerMessage::PeerLeft { id, .. } => {
                self.awaiting.remove(&id);
                self.retire(id, "the peer left");
            }
            ServerMessage::MediaMode { mode, .. } => self.mode = mode,
            ServerMessage::IceServers { ice_servers, .. } => {
                if let Some(turn) = self.relay.as_mut() {
                    turn.set_credentials(&ice_servers);
                }
            }
            ServerMessage::Signal { from, data } => self.on_signal(from, data.data().clone(), now),
            ServerMessage::Removed { reason, .. } => {
                return Err(PeerError::Refused(format!("removed from the room ({reason:?})")));
            }
            // (the connection resumes once the server is back)
            ServerMessage::Shutdown { .. } => {}
            ServerMessage::Error { code, message, .. } => tracing::warn!("server: {}: {message}", code.as_str()),
            _ => {}
        }
        Ok(())
    }

    /// Back after a lost signaling connection. With a replay the missed messages follow; without one,
    /// `peers` is the room now: anyone not listed may not have resumed yet (after a server restart everyone
    /// comes back on their own), so their connection is kept for the grace period and closed only if they
    /// are not back by then.
    fn on_resumed(&mut self, welcome: &Welcome, replay: Replay, now: Instant) {
        for peer in &welcome.peers {
            self.names.insert(peer.id, peer.name.clone());
            self.polite.entry(peer.id).or_insert(false);
        }
        self.mode = welcome.media_mode.unwrap_or_default();
        if replay == Replay::Reset {
            let deadline = now + Duration::from_millis(welcome.resume_grace_ms);
            for id in self.links.keys() {
                if welcome.peers.iter().any(|p| p.id == *id) {
                    self.awaiting.remove(id);
                } else {
                    self.awaiting.entry(*id).or_insert(deadline);
                }
            }
        }
    }

    /// Closes the connections of participants who did not resume within the grace period.
    fn give_up_waiting(&mut self, now: Instant) {
        let gone: Vec<PeerId> = self.awaiting.iter().filter(|(_, at)| **at <= now).map(|(id, _)| *id).collect();
        for id in gone {
            self.awaiting.remove(&id);
            self.retire(id, "the peer left");
        }
    }

    /// Hands a link's transfer events to the caller and keeps the records.
    async fn collect(&mut self, link: &mut Link, events: &mpsc::Sender<Event>, cancel: &CancellationToken) {
        let peer = name_of(&self.names, link.peer);
        while let Some(event) = link.transfers.poll_event() {
            match &event {
                TransferEvent::Started { id, direction, name, size } => {
                    self.started.insert(id.clone(), self.records.len());
                    self.records.push(Record {
                        peer: peer.clone(),
                        direction: *direction,
                        name: name.clone(),
                        size: *size,
                        outcome: None,
                        sha256: None,
                    });
                }
                TransferEvent::Finished { id, outcome, sha256 } => {
                    if let Some(record) = self.started.remove(id).and_then(|i| self.records.get_mut(i)) {
                        record.outcome = Some(outcome.clone());
                        record.sha256.clone_from(sha256);
                        if record.direction == Direction::In && !matches!(outcome, Outcome::Declined) {
                            self.finished_in += 1;
                        }
                    }
                }
                TransferEvent::Progress { .. } => {}
            }
            let event = Event::Transfer { peer: peer.clone(), event };
            if cancel.is_cancelled() {
                let _ = events.try_send(event);
            } else {
                tokio::select! {
                    _ = events.send(event) => {}
                    _ = cancel.cancelled() => {}
                }
            }
        }
    }
}
