//! One of each of a room's inputs and outputs and of the server messages they carry, with every nested part
//! filled in (and left out, where it may be), for the tests that send them across nodes. Each kind list is
//! checked against an exhaustive `match`, so a new variant cannot go without a sample.

use std::net::IpAddr;
use std::sync::Arc;

use ruang_proto::{
    ChatEntry, ErrorCode, IceCandidate, IcePolicy, IceServer, Knock, Layer, LeaveReason, Limits, MediaMode, MediaState,
    Moderation, PeerInfo, RemovedReason, Replay, Role, RoomName, ServerMessage, ShutdownReason, SignalData,
    SignalPayload, Tile, Welcome,
};
use ruang_room::record::BrowserKeyHash;
use ruang_room::{
    Disconnect, Entered, Entry, Greeting, Input, Join, Joined, MediaView, Output, Refusal, Restore, Resume,
    ResumeRefusal, SfuRequest,
};

use crate::common::{MIC, MeetingRecord, Seat, id};

pub fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

pub fn signals() -> Vec<SignalPayload> {
    let candidate =
        |candidate: &str, mid: Option<&str>, index: Option<u16>, fragment: Option<&str>| SignalData::Candidate {
            candidate: IceCandidate {
                candidate: candidate.to_owned(),
                sdp_mid: mid.map(str::to_owned),
                sdp_m_line_index: index,
                username_fragment: fragment.map(str::to_owned),
            },
        };
    [
        SignalData::Offer { sdp: "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\ns=\"quoted\" \u{e9}\r\n".to_owned() },
        SignalData::Answer { sdp: "v=0\r\na=recvonly\r\n".to_owned() },
        candidate("candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host", Some("0"), Some(0), Some("f7")),
        candidate("", None, None, None),
        SignalData::Reset,
    ]
    .into_iter()
    .map(SignalPayload::from)
    .collect()
}

pub fn peer(n: u64, hand: bool, reconnecting: bool) -> PeerInfo {
    let media = MediaState { audio: n.is_multiple_of(2), video: true, screen: hand };
    PeerInfo { id: id(n), name: format!("p{n} \u{1f600}"), media, role: Role::Participant, hand, reconnecting }
}

pub fn chat(seq: u64) -> ChatEntry {
    ChatEntry {
        seq,
        from: id(seq),
        name: format!("p{seq}"),
        text: "hello \"there\"\n".to_owned(),
        ts: 1_700_000_000_123,
    }
}

pub fn welcome(req: Option<u32>) -> Welcome {
    Welcome {
        protocol: 1,
        req,
        you: id(9),
        name: "me".to_owned(),
        role: Role::Moderator,
        locked: true,
        lobby: false,
        spotlight: Some(id(1)),
        room: RoomName::parse("stand-up_1").unwrap(),
        peers: vec![peer(1, false, false), peer(2, true, true)],
        ice_servers: vec![
            IceServer { urls: vec!["stun:192.0.2.1:3478".to_owned()], username: None, credential: None },
            IceServer {
                urls: vec!["turn:192.0.2.1:3478?transport=udp".to_owned(), "turns:t.example:5349".to_owned()],
                username: Some("1700000000:x".to_owned()),
                credential: Some("c2VjcmV0".to_owned()),
            },
        ],
        ice_transport_policy: IcePolicy::Relay,
        chat_history: vec![chat(1), chat(2)],
        limits: Limits { max_participants: 3, ..Limits::default() },
        resume_token: "token.sig".to_owned(),
        resume_grace_ms: 30_000,
        media_mode: None,
        sfu: None,
        recording: None,
    }
}

/// One of each server message (several of some), with every nested part.
pub fn server_messages() -> Vec<ServerMessage> {
    use ServerMessage as M;
    let mut all = vec![
        M::Welcome(welcome(Some(1))),
        M::Welcome(welcome(None)),
        M::Welcome(Welcome { media_mode: Some(MediaMode::Sfu), sfu: Some(id(7)), ..welcome(Some(2)) }),
        M::Welcome(Welcome { media_mode: Some(MediaMode::Mesh), ..welcome(None) }),
        M::Welcome(Welcome { recording: Some(id(1)), ..welcome(None) }),
        M::Recording { id: Some(id(1)) },
        M::Recording { id: None },
        M::MediaMode { mode: MediaMode::Sfu, sfu: Some(id(7)) },
        M::MediaMode { mode: MediaMode::Mesh, sfu: None },
        M::Speaker { id: id(2) },
        M::Resumed { welcome: welcome(Some(4)), replay: Replay::Replayed },
        M::Resumed { welcome: welcome(None), replay: Replay::Reset },
        M::ResumeToken { token: "t".to_owned() },
        M::PeerReconnecting { id: id(1) },
        M::PeerReconnected { id: id(1) },
        M::Role { id: id(2), role: Role::Viewer },
        M::Hand { id: id(2), raised: true },
        M::Reaction { id: id(2), emoji: ruang_proto::Reaction::Heart },
        M::RoomState { locked: false, lobby: true, spotlight: None },
        M::RoomState { locked: true, lobby: false, spotlight: Some(id(2)) },
        M::Lobby {
            waiting: vec![Knock { id: id(5), name: "k".to_owned() }, Knock { id: id(6), name: "l".to_owned() }],
        },
        M::Lobby { waiting: vec![] },
        M::LobbyJoined { id: id(5), name: "k".to_owned() },
        M::LobbyLeft { id: id(5) },
        M::Waiting { room: RoomName::parse("r").unwrap() },
        M::Muted { by: id(1) },
        M::PeerJoined { peer: peer(3, true, false) },
        M::PeerJoined { peer: peer(4, false, false) },
        M::media(id(3), MediaState { audio: true, video: false, screen: true }),
        M::Chat(chat(7)),
        M::Error { code: ErrorCode::Forbidden, message: "not allowed".to_owned(), req: Some(3) },
        M::Error { code: ErrorCode::InvalidJson, message: String::new(), req: None },
        M::Pong { req: Some(u32::MAX) },
        M::Pong { req: None },
        M::IceServers { ice_servers: welcome(None).ice_servers, ice_transport_policy: IcePolicy::All },
        M::Shutdown { reason: ShutdownReason::Stopping },
    ];
    for reason in [RemovedReason::Removed, RemovedReason::Banned, RemovedReason::Ended, RemovedReason::Denied] {
        all.push(M::Removed { reason, by: id(1) });
    }
    use LeaveReason as L;
    for reason in [L::Left, L::Disconnected, L::Timeout, L::Slow, L::Kicked, L::Removed, L::Banned, L::Shutdown] {
        all.push(M::PeerLeft { id: id(2), reason });
    }
    all.extend(signals().into_iter().map(|data| M::Signal { from: id(1), data }));
    all
}

pub fn message_kind(message: &ServerMessage) -> &'static str {
    use ServerMessage as M;
    match message {
        M::Welcome(_) => "welcome",
        M::Resumed { .. } => "resumed",
        M::ResumeToken { .. } => "resume_token",
        M::PeerReconnecting { .. } => "peer_reconnecting",
        M::PeerReconnected { .. } => "peer_reconnected",
        M::Role { .. } => "role",
        M::Hand { .. } => "hand",
        M::Reaction { .. } => "reaction",
        M::Recording { .. } => "recording",
        M::RoomState { .. } => "room_state",
        M::Lobby { .. } => "lobby",
        M::LobbyJoined { .. } => "lobby_joined",
        M::LobbyLeft { .. } => "lobby_left",
        M::Waiting { .. } => "waiting",
        M::Muted { .. } => "muted",
        M::Removed { .. } => "removed",
        M::PeerJoined { .. } => "peer_joined",
        M::PeerLeft { .. } => "peer_left",
        M::Signal { .. } => "signal",
        M::Media { .. } => "media",
        M::Chat(_) => "chat",
        M::Error { .. } => "error",
        M::Pong { .. } => "pong",
        M::IceServers { .. } => "ice_servers",
        M::Shutdown { .. } => "shutdown",
        M::MediaMode { .. } => "media_mode",
        M::Speaker { .. } => "speaker",
    }
}

pub const MESSAGE_KINDS: [&str; 27] = [
    "reaction",
    "recording",
    "media_mode",
    "speaker",
    "welcome",
    "resumed",
    "resume_token",
    "peer_reconnecting",
    "peer_reconnected",
    "role",
    "hand",
    "room_state",
    "lobby",
    "lobby_joined",
    "lobby_left",
    "waiting",
    "muted",
    "removed",
    "peer_joined",
    "peer_left",
    "signal",
    "media",
    "chat",
    "error",
    "pong",
    "ice_servers",
    "shutdown",
];

pub fn inputs() -> Vec<Input> {
    let full_join = Join {
        id: id(1),
        conn: 100,
        name: "p1".to_owned(),
        media: MIC,
        req: Some(1),
        role: Some(Role::Moderator),
        invitation: Some("jti-1".to_owned()),
        address: Some(ip("192.0.2.7")),
        browser_key: Some(BrowserKeyHash::of("key")),
        sfu: true,
    };
    let bare_join = Join {
        req: None,
        role: None,
        invitation: None,
        address: None,
        browser_key: None,
        sfu: false,
        ..full_join.clone()
    };
    let resume = Resume {
        id: id(2),
        conn: 201,
        media: MediaState::default(),
        req: Some(2),
        generation: 3,
        last_n: 41,
        address: Some(ip("2001:db8::1")),
        restore: Some(Restore { name: "p2".to_owned(), role: Role::Host, sfu: true, carried_only: false }),
    };
    let bare_resume = Resume { req: None, address: None, restore: None, ..resume.clone() };
    let mut all = vec![
        Input::Join(Box::new(full_join)),
        Input::Join(Box::new(bare_join)),
        Input::Resume(Box::new(resume)),
        Input::Resume(Box::new(bare_resume)),
        Input::Leave { id: id(1), conn: 100, reason: LeaveReason::Left },
        Input::Lost { id: id(1), conn: 100, reason: LeaveReason::Timeout },
        Input::Slow { id: id(1), conn: 100 },
        Input::Ack { id: id(1), conn: 100, n: u64::MAX },
        Input::Media { id: id(1), media: MIC },
        Input::Hand { id: id(1), raised: false, req: Some(5) },
        Input::React { id: id(1), emoji: ruang_proto::Reaction::Party, req: Some(6) },
        Input::Recording { id: id(1), on: true, req: Some(7) },
        Input::Recording { id: id(1), on: false, req: None },
        Input::Chat { from: id(1), text: "hi \u{2603}".to_owned(), req: None },
        Input::Timeout,
        Input::Speaker { sfu: id(7), id: id(1) },
    ];
    for request in sfu_requests() {
        all.push(Input::Sfu { from: id(1), request: Box::new(request), req: Some(4) });
    }
    for (n, data) in signals().into_iter().enumerate() {
        all.push(Input::Signal {
            from: id(1),
            to: id(2),
            data: Box::new(data),
            req: n.is_multiple_of(2).then_some(n as u32),
        });
    }
    use Moderation as Mo;
    let actions = [
        Mo::Remove(id(2)),
        Mo::Ban(id(2)),
        Mo::Mute(id(2)),
        Mo::MuteAll,
        Mo::Lock,
        Mo::Unlock,
        Mo::End,
        Mo::SetRole(id(2), Role::Host),
        Mo::SetRole(id(2), Role::Viewer),
        Mo::LobbyOn,
        Mo::LobbyOff,
        Mo::Admit(id(5)),
        Mo::Deny(id(5)),
        Mo::Spotlight(id(2)),
        Mo::SpotlightOff,
    ];
    all.extend(actions.into_iter().map(|action| Input::Moderate { by: id(1), action, req: Some(8) }));
    all.push(Input::Administer { action: Mo::Remove(id(2)) });
    all
}

pub fn input_kind(input: &Input) -> &'static str {
    match input {
        Input::Join(_) => "join",
        Input::Resume(_) => "resume",
        Input::Leave { .. } => "leave",
        Input::Lost { .. } => "lost",
        Input::Slow { .. } => "slow",
        Input::Ack { .. } => "ack",
        Input::Signal { .. } => "signal",
        Input::Media { .. } => "media",
        Input::Hand { .. } => "hand",
        Input::React { .. } => "react",
        Input::Recording { .. } => "recording",
        Input::Moderate { .. } => "moderate",
        Input::Administer { .. } => "administer",
        Input::Chat { .. } => "chat",
        Input::Timeout => "timeout",
        Input::Sfu { .. } => "sfu",
        Input::Speaker { .. } => "speaker",
    }
}

pub const INPUT_KINDS: [&str; 17] = [
    "join",
    "resume",
    "leave",
    "lost",
    "slow",
    "ack",
    "signal",
    "media",
    "hand",
    "react",
    "recording",
    "moderate",
    "administer",
    "chat",
    "timeout",
    "sfu",
    "speaker",
];

/// One of each request for the SFU.
pub fn sfu_requests() -> Vec<SfuRequest> {
    let layer = |rid: &str, height| Layer { rid: rid.to_owned(), height, bitrate: u64::from(height) * 1000 };
    let mut all = vec![
        SfuRequest::Layers(vec![layer("l", 180), layer("h", 720)]),
        SfuRequest::Layers(vec![]),
        SfuRequest::Tiles(vec![Tile { id: id(2), height: 240 }, Tile { id: id(3), height: 0 }]),
        SfuRequest::Pin(Some(id(2))),
        SfuRequest::Pin(None),
    ];
    all.extend(signals().into_iter().map(SfuRequest::Signal));
    all
}

pub fn greeting(entry: Entry) -> Output {
    let joined = Joined {
        peers: vec![peer(1, false, true), peer(2, true, false)],
        chat_history: vec![chat(1)],
        name: "p3".to_owned(),
        role: Role::Viewer,
        locked: false,
        lobby: true,
        spotlight: Some(id(2)),
        media: (entry == Entry::Joined).then_some(MediaView {
            mode: MediaMode::Sfu,
            sfu: Some(id(7)),
            max_participants: 100,
        }),
        recording: (entry == Entry::Joined).then_some(id(1)),
    };
    Output::Attach(Box::new(Greeting { id: id(3), conn: 300, req: Some(1), generation: 2, entry, joined }))
}

pub fn outputs() -> Vec<Output> {
    let mut record = MeetingRecord {
        roster: vec![
            Seat { id: id(1), role: Role::Host, key: Some(BrowserKeyHash::of("k1")), generation: 0 },
            Seat { id: id(2), role: Role::Participant, key: None, generation: 0 },
        ],
        locked: true,
        lobby: true,
        ended_at: Some(1_700_000_000),
        ..MeetingRecord::default()
    };
    record.ban(id(3), Some(ip("198.51.100.4")), Some(BrowserKeyHash::of("k3")));
    record.ban(id(4), Some(ip("2001:db8:1:2::9")), None);
    record.ban_invitation("jti-3".to_owned());
    let mut all = vec![
        Output::Publish { id: id(3), role: Role::Viewer },
        greeting(Entry::Joined),
        greeting(Entry::Resumed { last_n: 12 }),
        greeting(Entry::Restored),
        Output::Violation { to: id(3), conn: 300 },
        Output::RoleChanged { id: id(3), conn: Some(300), name: "p3".to_owned(), role: Role::Moderator, generation: 4 },
        Output::RoleChanged { id: id(3), conn: None, name: "p3".to_owned(), role: Role::Host, generation: 0 },
        Output::Acknowledged { id: id(3), conn: 300, n: 17 },
        Output::Forget { id: id(3), conn: 300 },
        Output::Unpublish { id: id(3) },
        Output::Answer { conn: 300, answer: Ok(Entered::In) },
        Output::Answer { conn: 300, answer: Ok(Entered::Waiting) },
        Output::SaveRecord(record),
        Output::SaveRecord(MeetingRecord::default()),
        Output::Closed,
        Output::StartSfu { sfu: id(7) },
        Output::StopSfu { sfu: id(7) },
    ];
    for request in sfu_requests() {
        all.push(Output::ToSfu { sfu: id(7), from: id(1), request: Box::new(request) });
    }
    for why in [Disconnect::Slow, Disconnect::Replaced, Disconnect::Removed] {
        all.push(Output::Disconnect { id: id(3), conn: 300, why });
    }
    use Refusal as R;
    use ResumeRefusal as RR;
    let refusals =
        [R::Full, R::Locked, R::Banned, R::LobbyFull, R::DuplicateId, R::Closed, R::AccessChanged, R::SfuRequired];
    let resume_refusals = [RR::LeftRoom, RR::TokenUsed, RR::LeftMeeting, RR::MeetingEnded].map(R::Resume);
    for refusal in refusals.into_iter().chain(resume_refusals) {
        all.push(Output::Answer { conn: 300, answer: Err(refusal) });
    }
    for message in server_messages().into_iter().map(Arc::new) {
        all.push(Output::Deliver { to: id(2), message: message.clone() });
        all.push(Output::Broadcast { except: Some(id(1)), message: message.clone() });
        all.push(Output::Broadcast { except: None, message: message.clone() });
        all.push(Output::Reply { to: id(2), conn: 200, message });
    }
    all
}

pub fn output_kind(output: &Output) -> &'static str {
    match output {
        Output::Publish { .. } => "publish",
        Output::Attach(_) => "attach",
        Output::Deliver { .. } => "deliver",
        Output::Broadcast { .. } => "broadcast",
        Output::Reply { .. } => "reply",
        Output::Violation { .. } => "violation",
        Output::RoleChanged { .. } => "role_changed",
        Output::Acknowledged { .. } => "acknowledged",
        Output::Disconnect { .. } => "disconnect",
        Output::Forget { .. } => "forget",
        Output::Unpublish { .. } => "unpublish",
        Output::Answer { .. } => "answer",
        Output::SaveRecord(_) => "save_record",
        Output::Closed => "closed",
        Output::StartSfu { .. } => "start_sfu",
        Output::StopSfu { .. } => "stop_sfu",
        Output::ToSfu { .. } => "to_sfu",
    }
}

pub const OUTPUT_KINDS: [&str; 17] = [
    "start_sfu",
    "stop_sfu",
    "to_sfu",
    "publish",
    "attach",
    "deliver",
    "broadcast",
    "reply",
    "violation",
    "role_changed",
    "acknowledged",
    "disconnect",
    "forget",
    "unpublish",
    "answer",
    "save_record",
    "closed",
];
