//! One member's post: its numbered [`Stream`] and its current link (connection number and [`Member`]),
//! behind one short lock. Everyone who sends to the member pushes here: the room, and another member's
//! connection relaying a signal. The lock makes numbering, keeping and delivering one step, so the member
//! receives messages in the order of their numbers, and a message pushed while the member is away is kept
//! for its replay rather than lost.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use ruang_proto::Replay;

use crate::{DeliveryError, Disconnect, Frame, Member, ReplayLimits, Stream};

/// One connection of a member: the number tells a member's connections apart, so a late message from a
/// replaced connection is not mistaken for the current one.
#[derive(Clone)]
pub struct Link {
    /// The connection's number, unique in the server.
    pub conn: u64,
    /// How to reach it.
    pub member: Arc<dyn Member>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").field("conn", &self.conn).finish_non_exhaustive()
    }
}

/// What [`Post::connect`] did.
#[derive(Debug)]
pub struct Connected {
    /// The link it replaced, which the caller tells it is [`Disconnect::Replaced`].
    pub replaced: Option<Link>,
    /// How many kept messages were replayed after the greeting.
    pub replayed: usize,
    /// Whether the greeting and the replay were all delivered; `Full` means the new link cannot keep up.
    pub delivery: Result<(), DeliveryError>,
}

/// One member's stream and current link.
pub struct Post {
    state: Mutex<State>,
    limits: ReplayLimits,
}

struct State {
    stream: Stream,
    /// `None` while the member is away (reconnecting).
    link: Option<Link>,
}

impl Post {
    /// A post with no link yet, keeping what `limits` allow for a replay.
    pub fn new(limits: ReplayLimits) -> Self {
        Post { state: Mutex::new(State { stream: Stream::new(), link: None }), limits }
    }

    /// Numbers and keeps `frame`, and delivers it if the member is connected. `Full` means the member cannot
    /// keep up: its connection is told ([`Disconnect::Slow`]) and ends, and its session then detaches it.
    /// `Gone` means the connection is already ending. Either way the message is kept for the replay.
    pub fn push(&self, frame: &Frame, now: Instant) -> Result<(), DeliveryError> {
        let mut state = self.lock();
        let connected = state.link.is_some();
        let n = state.stream.push(frame, now, connected, self.limits);
        let Some(link) = &state.link else { return Ok(()) };
        let delivered = link.member.deliver(frame, Some(n));
        if delivered == Err(DeliveryError::Full) {
            link.member.disconnect(Disconnect::Slow);
        }
        delivered
    }

    /// Makes `link` the member's connection. Under the lock, so nothing pushed meanwhile comes between or
    /// is lost: the greeting goes first, unnumbered; then, when the member resumes after message `resume_after`,
    /// the kept messages after it; then anything pushed later. `greeting` is told whether those messages are
    /// replayed (`Some(Replayed)`), were partly forgotten so the stream starts over (`Some(Reset)`), or the
    /// member is new (`None`).
    pub fn connect(
        &self,
        link: Link,
        resume_after: Option<u64>,
        greeting: impl FnOnce(Option<Replay>) -> Frame,
    ) -> Connected {
        let mut state = self.lock();
        let replaced = state.link.take();
        let replay = resume_after.map(|last_n| match state.stream.replay_after(last_n) {
            Some(_) => Replay::Replayed,
            None => Replay::Reset,
        });
        if replay == Some(Replay::Reset) {
            state.stream.clear();
        }
        let mut delivery = link.member.deliver(&greeting(replay), None);
        let mut replayed = 0;
        if let (Some(last_n), Ok(())) = (resume_after, delivery) {
            for (n, frame) in state.stream.replay_after(last_n).into_iter().flatten() {
                delivery = link.member.deliver(frame, Some(n));
                if delivery.is_err() {
                    break;
                }
                replayed += 1;
            }
        }
        state.link = Some(link);
        Connected { replaced, replayed, delivery }
    }

    /// Whether `conn` is the member's current connection.
    pub fn is_current(&self, conn: u64) -> bool {
        self.lock().link.as_ref().is_some_and(|link| link.conn == conn)
    }

    /// The member's current link, if it is connected.
    pub fn link(&self) -> Option<Link> {
        self.lock().link.clone()
    }

    /// Lets go of the member's link: from now on, messages are kept for its replay but not delivered.
    pub fn detach(&self) -> Option<Link> {
        self.lock().link.take()
    }

    /// The member's connection `conn` has received everything up to `n`: forget it. Ignored if `conn` is
    /// no longer the current one.
    pub fn acknowledge(&self, conn: u64, n: u64) {
        let mut state = self.lock();
        if state.link.as_ref().is_some_and(|link| link.conn == conn) {
            state.stream.acknowledge(n);
        }
    }

    /// The number of the last message pushed, and how many are kept.
    pub fn numbering(&self) -> (u64, usize) {
        let state = self.lock();
        (state.stream.last_n(), state.stream.kept())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every change is complete before anything that could panic (a member's `deliver` is not expected to),
        // so the state is consistent even if a holder panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for Post {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (last_n, kept) = self.numbering();
        f.debug_struct("Post").field("last_n", &last_n).field("kept", &kept).finish_non_exhaustive()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use ruang_proto::{PeerId, ServerMessage};

    use super::*;

    /// A member that records what it receives, and refuses once it holds `capacity` frames.
    #[derive(Default)]
    pub(crate) struct Recorder {
        pub(crate) frames: Mutex<Vec<(Option<u64>, ServerMessage)>>,
        pub(crate) capacity: Option<usize>,
        pub(crate) disconnected: Mutex<Option<Disconnect>>,
    }

    impl Recorder {
        pub(crate) fn received(&self) -> Vec<(Option<u64>, ServerMessage)> {
            self.frames.lock().unwrap().clone()
        }
    }

    impl Member for Recorder {
        fn deliver(&self, frame: &Frame, n: Option<u64>) -> Result<(), DeliveryError> {
            let mut frames = self.frames.lock().unwrap();
            if self.capacity.is_some_and(|capacity| frames.len() >= capacity) {
                return Err(DeliveryError::Full);
            }
            frames.push((n, frame.message().clone()));
            Ok(())
        }

        fn disconnect(&self, why: Disconnect) {
            self.disconnected.lock().unwrap().get_or_insert(why);
        }

        fn violated(&self) {}
    }

    pub(crate) fn limits() -> ReplayLimits {
        ReplayLimits { messages: 100, bytes: 1 << 20, horizon: Duration::from_secs(10) }
    }

    fn message(i: u64) -> ServerMessage {
        ServerMessage::PeerReconnected { id: PeerId::from_bits(i) }
    }

    fn link(conn: u64, member: &Arc<Recorder>) -> Link {
        Link { conn, member: Arc::clone(member) as Arc<dyn Member> }
    }

    fn hello(_: Option<Replay>) -> Frame {
        Frame::from(ServerMessage::Pong { req: None })
    }

    #[test]
    fn a_connected_member_receives_numbered_frames_after_its_greeting() {
        let now = Instant::now();
        let post = Post::new(limits());
        let first = Arc::new(Recorder::default());
        post.push(&Frame::from(message(1)), now).unwrap();
        let connected = post.connect(link(1, &first), None, hello);
        assert!(connected.replaced.is_none());
        post.push(&Frame::single(message(2)), now).unwrap();
        let received = first.received();
        assert_eq!(received, vec![(None, ServerMessage::Pong { req: None }), (Some(2), message(2))]);
    }

    #[test]
    fn what_is_pushed_while_away_is_replayed_after_the_greeting_in_order() {
        let now = Instant::now();
        let post = Post::new(limits());
        let first = Arc::new(Recorder::default());
        post.connect(link(1, &first), None, hello);
        post.push(&Frame::from(message(1)), now).unwrap();
        assert!(post.detach().is_some());
        assert!(!post.is_current(1));
        post.push(&Frame::from(message(2)), now).unwrap();
        post.push(&Frame::single(message(3)), now).unwrap();
        let second = Arc::new(Recorder::default());
        let mut told = None;
        let connected = post.connect(link(2, &second), Some(1), |replay| {
            told = replay;
            hello(replay)
        });
        assert_eq!(told, Some(Replay::Replayed));
        assert_eq!((connected.replayed, connected.delivery), (2, Ok(())));
        post.push(&Frame::from(message(4)), now).unwrap();
        let numbers: Vec<Option<u64>> = second.received().into_iter().map(|(n, _)| n).collect();
        assert_eq!(numbers, vec![None, Some(2), Some(3), Some(4)]);
        assert_eq!(first.received().len(), 2, "the first link got its greeting and message 1 only");
    }

    #[test]
    fn resuming_after_a_forgotten_message_starts_over() {
        let now = Instant::now();
        let post = Post::new(limits());
        let member = Arc::new(Recorder::default());
        post.connect(link(1, &member), None, hello);
        for i in 1..=3 {
            post.push(&Frame::from(message(i)), now).unwrap();
        }
        post.acknowledge(1, 3);
        post.acknowledge(7, 9);
        let again = Arc::new(Recorder::default());
        let mut told = None;
        let connected = post.connect(link(2, &again), Some(1), |replay| {
            told = replay;
            hello(replay)
        });
        assert_eq!(told, Some(Replay::Reset), "2 and 3 were acknowledged and forgotten");
        assert_eq!(connected.replaced.map(|link| link.conn), Some(1));
        assert_eq!(connected.replayed, 0);
        post.push(&Frame::from(message(4)), now).unwrap();
        assert_eq!(again.received().last().map(|(n, _)| *n), Some(Some(4)), "numbering goes on");
    }

    #[test]
    fn a_member_that_cannot_keep_up_is_told_to_go_and_its_messages_are_kept() {
        let now = Instant::now();
        let post = Post::new(limits());
        let slow = Arc::new(Recorder { capacity: Some(2), ..Recorder::default() });
        post.connect(link(1, &slow), None, hello);
        assert_eq!(post.push(&Frame::from(message(1)), now), Ok(()));
        assert_eq!(post.push(&Frame::from(message(2)), now), Err(DeliveryError::Full));
        assert_eq!(*slow.disconnected.lock().unwrap(), Some(Disconnect::Slow));
        assert_eq!(post.numbering(), (2, 2), "both kept for the replay");
    }
}
