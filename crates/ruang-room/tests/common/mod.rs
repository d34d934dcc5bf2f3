//! A room driven by hand with a fake clock: inputs in, every output collected, time advanced at will.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use ruang_proto::{LeaveReason, MediaState, PeerId, Role, RoomName, ServerMessage};
use ruang_room::{Entered, Input, Join, MediaSettings, Now, Output, Refusal, Resume, Room, RoomConfig, Settings};

#[allow(unused_imports)]
pub use ruang_room::record::{MeetingRecord, Seat};

pub const GRACE: Duration = Duration::from_secs(30);
pub const MIC: MediaState = MediaState { audio: true, video: false, screen: false };

pub fn id(n: u64) -> PeerId {
    PeerId::from_bits(n)
}

/// The connection number the tests give participant `n` on its first connection.
pub fn conn(n: u64) -> u64 {
    n * 100
}

pub struct Harness {
    pub room: Room,
    start: Instant,
    elapsed: Duration,
}

pub struct Options {
    pub max_participants: usize,
    pub lobby: bool,
    pub max_waiting: usize,
    pub grace: Duration,
    pub records_persist: bool,
    pub record: Option<MeetingRecord>,
    pub media: MediaSettings,
    pub first_is_host: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_participants: 8,
            lobby: false,
            max_waiting: 8,
            grace: GRACE,
            records_persist: false,
            record: None,
            media: MediaSettings::default(),
            first_is_host: true,
        }
    }
}

impl Harness {
    pub fn new() -> Self {
        Harness::with(Options::default())
    }

    pub fn with(options: Options) -> Self {
        let roster = RoomConfig {
            max_participants: options.max_participants,
            chat_history: 10,
            lobby: options.lobby,
            max_waiting: options.max_waiting,
            first_is_host: options.first_is_host,
        };
        let settings = Settings {
            roster,
            resume_grace: options.grace,
            records_persist: options.records_persist,
            media: options.media,
        };
        let start = Instant::now();
        let room = Room::new(RoomName::parse("r").unwrap(), settings, options.record, start);
        Harness { room, start, elapsed: Duration::ZERO }
    }

    pub fn now(&self) -> Now {
        Now { instant: self.start + self.elapsed, unix_ms: 1_700_000_000_000 + self.elapsed.as_millis() as u64 }
    }

    /// Applies `input` and returns everything the room asks for.
    pub fn input(&mut self, input: Input) -> Vec<Output> {
        self.room.handle_input(input, self.now());
        std::iter::from_fn(|| self.room.poll_output()).collect()
    }

    /// Moves the fake clock on and tells the room, as a driver would when its timer fires.
    pub fn advance(&mut self, by: Duration) -> Vec<Output> {
        self.pass(by);
        self.input(Input::Timeout)
    }

    /// Moves the fake clock on without telling the room.
    pub fn pass(&mut self, by: Duration) {
        self.elapsed += by;
    }

    pub fn join_as(&mut self, n: u64, role: Option<Role>) -> Vec<Output> {
        self.join_speaking(n, role, false)
    }

    /// A join by a client that does (`sfu`) or does not speak SFU.
    pub fn join_speaking(&mut self, n: u64, role: Option<Role>, sfu: bool) -> Vec<Output> {
        self.input(Input::Join(Box::new(Join {
            id: id(n),
            conn: conn(n),
            name: format!("p{n}"),
            media: MIC,
            req: Some(1),
            role,
            invitation: None,
            address: None,
            browser_key: None,
            sfu,
        })))
    }

    pub fn join(&mut self, n: u64) -> Vec<Output> {
        self.join_as(n, None)
    }

    pub fn resume(&mut self, n: u64, conn: u64, generation: u32, last_n: u64) -> Vec<Output> {
        self.input(Input::Resume(Box::new(Resume {
            id: id(n),
            conn,
            media: MIC,
            req: None,
            generation,
            last_n,
            address: None,
            restore: None,
        })))
    }

    pub fn lose(&mut self, n: u64, conn: u64) -> Vec<Output> {
        self.input(Input::Lost { id: id(n), conn, reason: LeaveReason::Disconnected })
    }
}

/// The answer given to connection `conn`, if any.
pub fn answer(outputs: &[Output], conn: u64) -> Option<Result<Entered, Refusal>> {
    outputs.iter().find_map(|output| match output {
        Output::Answer { conn: to, answer } if *to == conn => Some(*answer),
        _ => None,
    })
}

/// The messages of `outputs` that reach `who`, by member delivery, broadcast or reply.
pub fn messages_to(outputs: &[Output], who: PeerId) -> Vec<ServerMessage> {
    outputs
        .iter()
        .filter_map(|output| match output {
            Output::Deliver { to, message } | Output::Reply { to, message, .. } if *to == who => {
                Some((**message).clone())
            }
            Output::Broadcast { except, message } if *except != Some(who) => Some((**message).clone()),
            _ => None,
        })
        .collect()
}

/// A short name for each output, to check their order.
pub fn kinds(outputs: &[Output]) -> Vec<String> {
    outputs
        .iter()
        .map(|output| match output {
            Output::Publish { id, .. } => format!("publish {}", id.bits()),
            Output::Unpublish { id } => format!("unpublish {}", id.bits()),
            Output::Attach(greeting) => format!("attach {} on {}", greeting.id.bits(), greeting.conn),
            Output::Deliver { to, message } => format!("deliver {} to {}", kind(message), to.bits()),
            Output::Broadcast { message, .. } => format!("broadcast {}", kind(message)),
            Output::Reply { conn, message, .. } => format!("reply {} on {conn}", kind(message)),
            Output::Violation { conn, .. } => format!("violation on {conn}"),
            Output::RoleChanged { id, role, .. } => format!("role {} {role:?}", id.bits()),
            Output::Acknowledged { id, n, .. } => format!("ack {} {n}", id.bits()),
            Output::Disconnect { conn, why, .. } => format!("disconnect {conn} {why:?}"),
            Output::Forget { conn, .. } => format!("forget {conn}"),
            Output::Answer { conn, answer } => format!("answer {conn} {answer:?}"),
            Output::StartSfu { sfu } => format!("start sfu {sfu}"),
            Output::StopSfu { sfu } => format!("stop sfu {sfu}"),
            Output::ToSfu { from, request, .. } => format!("to sfu from {} {request:?}", from.bits()),
            Output::SaveRecord(_) => "save".to_owned(),
            Output::Closed => "closed".to_owned(),
        })
        .collect()
}

fn kind(message: &ServerMessage) -> String {
    let json = serde_json::to_value(message).unwrap();
    json["type"].as_str().unwrap_or("?").to_owned()
}
