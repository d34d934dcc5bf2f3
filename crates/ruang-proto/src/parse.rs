//! Turns one text frame into a validated [`ClientMessage`], or a [`Rejection`] with the right code.
//!
//! Parsing is strict (unknown types and fields are refused) and bounded: the frame size is checked before
//! any parsing, and every text field after. The slow path (working out *why* a frame failed) only runs for
//! frames that failed.

use serde::Deserialize;
use serde_json::error::Category;
use serde_json::value::RawValue;

use crate::SignalPayload;
use crate::client::{Credentials, MAX_BROWSER_KEY_BYTES, MAX_INVITE_BYTES, MAX_PASSWORD_BYTES, MAX_TOKEN_BYTES};
use crate::escaped;
use crate::signal::SdpKind;
use crate::{ClientMessage, ErrorCode, Limits, MediaState, PROTOCOL_VERSION, PeerId, Rejection, RoomName, SignalData};
use crate::{IceCandidate, Layer, MAX_LAYERS, MAX_RID_BYTES, Moderation, Reaction, Role, Tile};

/// The longest human error message, so an error never echoes a large part of a hostile frame back.
const MAX_ERROR_MESSAGE: usize = 160;

const CLIENT_TYPES: [&str; 14] = [
    "join",
    "resume",
    "signal",
    "media",
    "chat",
    "hand",
    "react",
    "recording",
    "moderate",
    "layers",
    "tiles",
    "pin",
    "leave",
    "ping",
];

/// The serde mirror of [`ClientMessage`], before validation.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum RawClientMessage {
    Join {
        #[serde(default)]
        v: Option<u32>,
        room: String,
        name: String,
        #[serde(default)]
        media: MediaState,
        #[serde(default)]
        password: Option<String>,
        #[serde(default)]
        host_password: Option<String>,
        #[serde(default)]
        invite: Option<String>,
        #[serde(default)]
        browser_key: Option<String>,
        #[serde(default, deserialize_with = "present")]
        modes: Option<Vec<String>>,
        #[serde(default)]
        req: Option<u32>,
    },
    Resume {
        #[serde(default)]
        v: Option<u32>,
        token: String,
        last_n: u64,
        #[serde(default)]
        media: MediaState,
        #[serde(default)]
        req: Option<u32>,
    },
    Signal {
        to: PeerId,
        data: SignalData,
        #[serde(default)]
        req: Option<u32>,
    },
    Media {
        audio: bool,
        video: bool,
        screen: bool,
        #[serde(default)]
        req: Option<u32>,
    },
    Chat {
        text: String,
        #[serde(default)]
        req: Option<u32>,
    },
    Hand {
        raised: bool,
        #[serde(default)]
        req: Option<u32>,
    },
    React {
        emoji: String,
        #[serde(default)]
        req: Option<u32>,
    },
    Recording {
        on: bool,
        #[serde(default)]
        req: Option<u32>,
    },
    Moderate {
        action: String,
        #[serde(default)]
        target: Option<PeerId>,
        #[serde(default)]
        role: Option<Role>,
        #[serde(default)]
        req: Option<u32>,
    },
    Layers {
        layers: Vec<Layer>,
        #[serde(default)]
        req: Option<u32>,
    },
    Tiles {
        tiles: Vec<Tile>,
        #[serde(default)]
        req: Option<u32>,
    },
    Pin {
        #[serde(deserialize_with = "nullable")]
        id: Option<PeerId>,
        #[serde(default)]
        req: Option<u32>,
    },
    Leave {},
    Ping {
        #[serde(default)]
        req: Option<u32>,
        #[serde(default)]
        ack: Option<u64>,
    },
}

/// Parses and validates one client text frame against `limits`.
pub fn parse_client_message(frame: &str, limits: &Limits) -> Result<ClientMessage, Rejection> {
    if frame.len() > limits.max_frame_bytes {
        return Err(Rejection::new(
            ErrorCode::FrameTooLarge,
            format!("frame of {} bytes exceeds max_frame_bytes {}", frame.len(), limits.max_frame_bytes),
        ));
    }
    // Serde would also accept a JSON array for a struct; the protocol only has objects.
    if !frame.trim_start().starts_with('{') {
        return Err(Rejection::new(ErrorCode::InvalidJson, "a message is one JSON object"));
    }
    if let Some(signal) = parse_signal(frame, limits) {
        return signal;
    }
    let raw = serde_json::from_str::<RawClientMessage>(frame).map_err(|err| explain(frame, &err))?;
    validate(raw, frame, limits)
}

/// A `signal` frame, the most frequent message and the largest, read in one pass without the buffering an
/// internally tagged enum needs. The same fields and rules as [`RawClientMessage::Signal`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalFrame<'a> {
    #[serde(rename = "type")]
    _type: SignalTag,
    to: PeerId,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(default)]
    req: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum SignalTag {
    Signal,
}

/// [`SignalData`] read flat, in one pass: the kind and whichever fields are present; [`FlatSignal::shape`]
/// then requires exactly the fields of that kind. `Sdp` is `String` where the value is wanted, and the raw
/// literal (`&RawValue`) on the relay's fast path, which checks it without unescaping it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "Sdp: Deserialize<'de>"))]
struct FlatSignal<Sdp> {
    kind: SignalKind,
    #[serde(default, deserialize_with = "present")]
    sdp: Option<Sdp>,
    #[serde(default, deserialize_with = "present")]
    candidate: Option<IceCandidate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum SignalKind {
    Offer,
    Answer,
    Candidate,
    Reset,
}

/// A field that, when present, must hold a value (`null` is refused, as the typed enum refuses it).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A field that must be present but may be `null`.
fn nullable<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(deserializer)
}

/// A signal with exactly the fields of its kind.
enum Shape<Sdp> {
    Sdp(SdpKind, Sdp),
    Candidate(IceCandidate),
    Reset,
}

impl<Sdp> FlatSignal<Sdp> {
    fn shape(self) -> Option<Shape<Sdp>> {
        Some(match (self.kind, self.sdp, self.candidate) {
            (SignalKind::Offer, Some(sdp), None) => Shape::Sdp(SdpKind::Offer, sdp),
            (SignalKind::Answer, Some(sdp), None) => Shape::Sdp(SdpKind::Answer, sdp),
            (SignalKind::Candidate, None, Some(candidate)) => Shape::Candidate(candidate),
            (SignalKind::Reset, None, None) => Shape::Reset,
            _ => return None,
        })
    }
}

impl FlatSignal<String> {
    /// The typed value, unescaped.
    fn typed(self) -> Option<SignalData> {
        Some(match self.shape()? {
            Shape::Sdp(SdpKind::Offer, sdp) => SignalData::Offer { sdp },
            Shape::Sdp(SdpKind::Answer, sdp) => SignalData::Answer { sdp },
            Shape::Candidate(candidate) => SignalData::Candidate { candidate },
            Shape::Reset => SignalData::Reset,
        })
    }
}

/// The `req` of a frame that is a JSON object with a top-level `req` from 0 to 4294967295, whatever else it
/// holds; for answers (`rate_limited`) to frames that are not otherwise read. Reads the frame once, keeping
/// nothing but the number.
pub fn read_req(frame: &str) -> Option<u32> {
    /// Only `req`; every other field is skipped.
    #[derive(Deserialize)]
    struct ReqOnly {
        #[serde(default)]
        req: Option<serde::de::IgnoredAny>,
    }
    #[derive(Deserialize)]
    struct ReqNumber {
        #[serde(default)]
        req: Option<u32>,
    }
    // Two passes only for frames that have a `req` at all; the first fails on nothing but bad JSON.
    serde_json::from_str::<ReqOnly>(frame).ok()?.req?;
    serde_json::from_str::<ReqNumber>(frame).ok()?.req
}

/// The fast path for well-formed signals; `None` for anything else, which the general path then reads (and
/// explains, if it is wrong). An SDP is checked on its escaped text ([`escaped::unescaped_len`]: the escapes
/// serde_json accepts, the length it would unescape to), so relaying it unescapes nothing, and its text is
/// copied once, into the payload.
fn parse_signal(frame: &str, limits: &Limits) -> Option<Result<ClientMessage, Rejection>> {
    let SignalFrame { to, data: json, req, .. } = serde_json::from_str::<SignalFrame>(frame).ok()?;
    let checked = match serde_json::from_str::<FlatSignal<&RawValue>>(json.get()).ok()?.shape()? {
        Shape::Sdp(kind, sdp) => {
            // Not a string (a number, an object): the general path explains.
            let escaped = sdp.get().strip_prefix('"')?.strip_suffix('"')?;
            let len = escaped::unescaped_len(escaped)?;
            // The literal's place in the data text, which the payload keeps.
            let start = escaped.as_ptr() as usize - json.get().as_ptr() as usize;
            check_sdp(len, limits).map(|()| Err((kind, start..start + escaped.len())))
        }
        Shape::Candidate(candidate) => {
            let data = SignalData::Candidate { candidate };
            check_signal(&data, limits).map(|()| Ok(data))
        }
        Shape::Reset => Ok(Ok(SignalData::Reset)),
    };
    Some(match checked {
        Ok(typed) => {
            let json = json.to_owned();
            let data = match typed {
                Ok(data) => SignalPayload::from_parts(data, json),
                Err((kind, escaped)) => SignalPayload::from_sdp(kind, json, escaped),
            };
            Ok(ClientMessage::Signal { to, data, req })
        }
        Err(rejection) => Err(rejection.with_req(req)),
    })
}

fn validate(raw: RawClientMessage, frame: &str, limits: &Limits) -> Result<ClientMessage, Rejection> {
    Ok(match raw {
        RawClientMessage::Join { v, room, name, media, password, host_password, invite, browser_key, modes, req } => {
            check_version(v, req)?;
            let room = RoomName::parse(&room).ok_or_else(|| {
                Rejection::new(ErrorCode::InvalidRoom, "a room name is 1 to 64 characters of A-Z a-z 0-9 - _")
                    .with_req(req)
            })?;
            let name = validate_display_name(&name, limits).map_err(|r| r.with_req(req))?;
            let password_len = password.as_deref().map_or(0, str::len);
            check_len("password", password_len, MAX_PASSWORD_BYTES).map_err(|r| r.with_req(req))?;
            let host_password_len = host_password.as_deref().map_or(0, str::len);
            check_len("host_password", host_password_len, MAX_PASSWORD_BYTES).map_err(|r| r.with_req(req))?;
            let invite_len = invite.as_deref().map_or(0, str::len);
            check_len("invite", invite_len, MAX_INVITE_BYTES).map_err(|r| r.with_req(req))?;
            let key_len = browser_key.as_deref().map_or(0, str::len);
            check_len("browser_key", key_len, MAX_BROWSER_KEY_BYTES).map_err(|r| r.with_req(req))?;
            let sfu = speaks_sfu(modes.as_deref()).map_err(|r| r.with_req(req))?;
            let credentials = Credentials { password, host_password, invite, browser_key };
            ClientMessage::Join { room, name, media, credentials, sfu, req }
        }
        RawClientMessage::Resume { v, token, last_n, media, req } => {
            check_version(v, req)?;
            check_len("token", token.len(), MAX_TOKEN_BYTES).map_err(|r| r.with_req(req))?;
            ClientMessage::Resume { token, last_n, media, req }
        }
        RawClientMessage::Signal { to, data, req } => {
            check_signal(&data, limits).map_err(|r| r.with_req(req))?;
            let json = signal_json(frame).map_err(|r| r.with_req(req))?;
            // Serde's tagged enum lets a unit variant (`reset`) through with any other fields, which would
            // then be relayed as they are: the flat reading, which requires exactly the kind's fields, decides.
            let flat = serde_json::from_str::<FlatSignal<String>>(json.get()).ok().and_then(FlatSignal::typed);
            if flat.as_ref() != Some(&data) {
                let message = "signal data has fields its kind does not take (reset takes none)";
                return Err(Rejection::new(ErrorCode::InvalidMessage, message).with_req(req));
            }
            ClientMessage::Signal { to, data: SignalPayload::from_parts(data, json), req }
        }
        RawClientMessage::Media { audio, video, screen, req } => {
            ClientMessage::Media { media: MediaState { audio, video, screen }, req }
        }
        RawClientMessage::Chat { text, req } => {
            check_len("chat text", text.len(), limits.max_chat_bytes).map_err(|r| r.with_req(req))?;
            if text.trim().is_empty() {
                return Err(Rejection::new(ErrorCode::InvalidMessage, "chat text is blank").with_req(req));
            }
            ClientMessage::Chat { text, req }
        }
        RawClientMessage::Hand { raised, req } => ClientMessage::Hand { raised, req },
        RawClientMessage::React { emoji, req } => {
            let emoji = Reaction::parse(&emoji).ok_or_else(|| {
                let allowed: Vec<&str> = Reaction::ALL.iter().map(|reaction| reaction.as_str()).collect();
                let message = format!("emoji is not a reaction; one of {}", allowed.join(" "));
                Rejection::new(ErrorCode::InvalidMessage, message).with_req(req)
            })?;
            ClientMessage::React { emoji, req }
        }
        RawClientMessage::Recording { on, req } => ClientMessage::Recording { on, req },
        RawClientMessage::Moderate { action, target, role, req } => {
            let action = moderation(&action, target, role).map_err(|r| r.with_req(req))?;
            ClientMessage::Moderate { action, req }
        }
        RawClientMessage::Layers { layers, req } => {
            check_layers(&layers).map_err(|r| r.with_req(req))?;
            ClientMessage::Layers { layers, req }
        }
        RawClientMessage::Tiles { tiles, req } => {
            if tiles.len() > limits.max_sfu_participants {
                let message = format!("at most {} tiles", limits.max_sfu_participants);
                return Err(Rejection::new(ErrorCode::InvalidMessage, message).with_req(req));
            }
            ClientMessage::Tiles { tiles, req }
        }
        RawClientMessage::Pin { id, req } => ClientMessage::Pin { id, req },
        RawClientMessage::Leave {} => ClientMessage::Leave,
        RawClientMessage::Ping { req, ack } => ClientMessage::Ping { req, ack },
    })
}

/// The host control named `action`, with the `target` and `role` it needs and nothing it does not.
fn moderation(action: &str, target: Option<PeerId>, role: Option<Role>) -> Result<Moderation, Rejection> {
    let invalid = |message: &str| Err(Rejection::new(ErrorCode::InvalidMessage, message));
    Ok(match (action, target, role) {
        ("remove", Some(id), None) => Moderation::Remove(id),
        ("ban", Some(id), None) => Moderation::Ban(id),
        ("mute", Some(id), None) => Moderation::Mute(id),
        ("mute_all", None, None) => Moderation::MuteAll,
        ("lock", None, None) => Moderation::Lock,
        ("unlock", None, None) => Moderation::Unlock,
        ("end", None, None) => Moderation::End,
        ("set_role", Some(id), Some(role)) => Moderation::SetRole(id, role),
        ("lobby_on", None, None) => Moderation::LobbyOn,
        ("lobby_off", None, None) => Moderation::LobbyOff,
        ("admit", Some(id), None) => Moderation::Admit(id),
        ("deny", Some(id), None) => Moderation::Deny(id),
        ("spotlight", Some(id), None) => Moderation::Spotlight(id),
        ("spotlight_off", None, None) => Moderation::SpotlightOff,
        (
            "remove" | "ban" | "mute" | "mute_all" | "lock" | "unlock" | "end" | "set_role" | "lobby_on" | "lobby_off"
            | "admit" | "deny" | "spotlight" | "spotlight_off",
            _,
            _,
        ) => {
            return invalid(
                "remove, ban, mute, admit, deny and spotlight take a target; set_role a target and a role; the others neither",
            );
        }
        _ => return invalid("unknown action; see the moderate message in docs/protocol.md"),
    })
}

/// Whether a join's `modes` lists `"sfu"`: absent means `["mesh"]`; otherwise a non-empty list of
/// `"mesh"` and `"sfu"`, each at most once.
fn speaks_sfu(modes: Option<&[String]>) -> Result<bool, Rejection> {
    let Some(modes) = modes else { return Ok(false) };
    let invalid = || Rejection::new(ErrorCode::InvalidMessage, r#"modes is a list of "mesh" and "sfu", each once"#);
    let (mut mesh, mut sfu) = (false, false);
    for mode in modes {
        let seen = match mode.as_str() {
            "mesh" => &mut mesh,
            "sfu" => &mut sfu,
            _ => return Err(invalid()),
        };
        if std::mem::replace(seen, true) {
            return Err(invalid());
        }
    }
    if modes.is_empty() {
        return Err(invalid());
    }
    Ok(sfu)
}

/// A `layers` message's layers: at most [`MAX_LAYERS`], each `rid` 1 to [`MAX_RID_BYTES`] characters
/// `A-Z a-z 0-9`, no `rid` twice.
fn check_layers(layers: &[Layer]) -> Result<(), Rejection> {
    let invalid = |message: &str| Err(Rejection::new(ErrorCode::InvalidMessage, message));
    if layers.len() > MAX_LAYERS {
        return invalid("layers lists at most 4 layers");
    }
    for (at, layer) in layers.iter().enumerate() {
        let rid = layer.rid.as_bytes();
        if rid.is_empty() || rid.len() > MAX_RID_BYTES || !rid.iter().all(u8::is_ascii_alphanumeric) {
            return invalid("a rid is 1 to 16 characters of A-Z a-z 0-9");
        }
        if layers[..at].iter().any(|earlier| earlier.rid == layer.rid) {
            return invalid("a rid is listed once");
        }
    }
    Ok(())
}

/// Refuses a protocol version (`v`) this crate does not speak; a missing version means the current one.
fn check_version(v: Option<u32>, req: Option<u32>) -> Result<(), Rejection> {
    let version = v.unwrap_or(PROTOCOL_VERSION);
    if version != PROTOCOL_VERSION {
        let message = format!("protocol version {version} is not supported; this server speaks {PROTOCOL_VERSION}");
        return Err(Rejection::new(ErrorCode::UnsupportedVersion, message).with_req(req));
    }
    Ok(())
}

/// Checks a display name and returns it trimmed: 1 to `max_name_bytes` bytes, no control characters.
pub fn validate_display_name(name: &str, limits: &Limits) -> Result<String, Rejection> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.len() > limits.max_name_bytes || trimmed.chars().any(char::is_control) {
        let message =
            format!("a display name is 1 to {} bytes of text without control characters", limits.max_name_bytes);
        return Err(Rejection::new(ErrorCode::InvalidName, message));
    }
    Ok(trimmed.to_owned())
}

/// The text of the `data` field of a signal frame that already parsed as one.
fn signal_json(frame: &str) -> Result<Box<RawValue>, Rejection> {
    /// Only `data`; the rest of the frame was checked by the typed parse.
    #[derive(Deserialize)]
    struct DataOnly<'a> {
        #[serde(borrow)]
        data: &'a RawValue,
    }
    serde_json::from_str::<DataOnly>(frame)
        .map(|only| only.data.to_owned())
        .map_err(|_| Rejection::new(ErrorCode::InvalidMessage, "signal data is not a JSON object"))
}

fn check_signal(data: &SignalData, limits: &Limits) -> Result<(), Rejection> {
    match data {
        SignalData::Offer { sdp } | SignalData::Answer { sdp } => check_sdp(sdp.len(), limits),
        SignalData::Candidate { candidate } => {
            let max = limits.max_candidate_bytes;
            check_len("candidate", candidate.candidate.len(), max)?;
            check_len("sdpMid", candidate.sdp_mid.as_deref().map_or(0, str::len), max)?;
            check_len("usernameFragment", candidate.username_fragment.as_deref().map_or(0, str::len), max)
        }
        SignalData::Reset => Ok(()),
    }
}

/// An offer or answer to a peer (any target but the room's SFU) is within `max_sdp_bytes`. A frame is read
/// with [`Limits::for_reading`], whose SDP limit is the SFU's; the relay, which knows the target, calls this
/// for every other target, so a mesh signal keeps the smaller limit.
pub fn check_peer_sdp(data: &SignalPayload, limits: &Limits) -> Result<(), Rejection> {
    data.sdp_len().map_or(Ok(()), |len| check_len("sdp", len, limits.max_sdp_bytes))
}

/// An SDP of `len` bytes (unescaped) is neither empty nor over the limit.
fn check_sdp(len: usize, limits: &Limits) -> Result<(), Rejection> {
    if len == 0 {
        return Err(Rejection::new(ErrorCode::InvalidMessage, "sdp is empty"));
    }
    check_len("sdp", len, limits.max_sdp_bytes)
}

fn check_len(field: &str, len: usize, max: usize) -> Result<(), Rejection> {
    if len > max {
        return Err(Rejection::new(
            ErrorCode::FieldTooLarge,
            format!("{field} of {len} bytes exceeds the limit of {max}"),
        ));
    }
    Ok(())
}

/// Works out why `frame` did not parse: not JSON, not an object, no known type, or a bad field.
fn explain(frame: &str, err: &serde_json::Error) -> Rejection {
    if matches!(err.classify(), Category::Syntax | Category::Eof | Category::Io) {
        return Rejection::new(ErrorCode::InvalidJson, "the frame is not valid JSON");
    }
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(frame) else {
        return Rejection::new(ErrorCode::InvalidJson, "a message is one JSON object");
    };
    let req = object.get("req").and_then(serde_json::Value::as_u64).and_then(|r| u32::try_from(r).ok());
    let rejection = match object.get("type").and_then(serde_json::Value::as_str) {
        None => Rejection::new(ErrorCode::UnknownType, "the message has no string \"type\" field"),
        Some(kind) if !CLIENT_TYPES.contains(&kind) => Rejection::new(
            ErrorCode::UnknownType,
            format!("unknown message type; expected one of {}", CLIENT_TYPES.join(", ")),
        ),
        Some(kind) => Rejection::new(ErrorCode::InvalidMessage, truncate(format!("invalid {kind} message: {err}"))),
    };
    rejection.with_req(req)
}

fn truncate(mut text: String) -> String {
    if text.len() > MAX_ERROR_MESSAGE {
        let mut end = MAX_ERROR_MESSAGE;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// The two paths of [`parse_client_message`] apart, for the fuzz target in `fuzz/` that checks they agree.
/// Not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    use super::{ClientMessage, Limits, RawClientMessage, Rejection, explain, parse_signal, validate};

    /// The signal fast path: `None` when it leaves the frame to the general path.
    pub fn signal_fast_path(frame: &str, limits: &Limits) -> Option<Result<ClientMessage, Rejection>> {
        parse_signal(frame, limits)
    }

    /// The general path alone, as it read every frame before the signal fast path.
    pub fn general_path(frame: &str, limits: &Limits) -> Result<ClientMessage, Rejection> {
        let raw = serde_json::from_str::<RawClientMessage>(frame).map_err(|err| explain(frame, &err))?;
        validate(raw, frame, limits)
    }
}

#[cfg(test)]
mod equivalence;

#[cfg(test)]
mod tests {
    use super::fuzzing::general_path as general;
    use super::*;

    #[test]
    fn the_signal_fast_path_accepts_exactly_what_the_general_path_accepts() {
        let to = r#""to":"00000000000000ff""#;
        let frames = [
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"offer","sdp":"v=0\r\n"}}}}"#),
            format!(r#"{{{to},"data":{{"sdp":"v=0","kind":"answer"}},"type":"signal","req":3}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"offer","sdp":null}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"offer"}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"offer","sdp":""}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"reset"}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"reset","sdp":"x"}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"reset","sdp":null}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"candidate","candidate":{{"candidate":""}}}}}}"#),
            format!(
                r#"{{"type":"signal",{to},"data":{{"kind":"candidate","candidate":{{"candidate":"c"}},"sdp":"x"}}}}"#
            ),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"candidate","candidate":null}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"offer","sdp":"a","sdp":"b"}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"offer","sdp":"a","extra":1}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"pranswer","sdp":"a"}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"offer","sdp":"a"}},"extra":1}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"offer","sdp":"a"}},"data":{{"kind":"reset"}}}}"#),
            format!(r#"{{"type":"signal","type":"signal",{to},"data":{{"kind":"reset"}}}}"#),
            format!(r#"{{"type":"signal",{to},"data":[]}}"#),
            format!(r#"{{"type":"signal",{to},"data":{{"kind":"offer","sdp":"{}"}}}}"#, "x".repeat(70_000)),
            r#"{"type":"signal","to":"FF","data":{"kind":"reset"}}"#.to_owned(),
            r#"{"type":"signal","data":{"kind":"reset"}}"#.to_owned(),
            r#"{"type":"ping","ack":3}"#.to_owned(),
        ];
        let limits = Limits { max_frame_bytes: 1 << 20, ..Limits::default() };
        for frame in &frames {
            let general = general(frame, &limits);
            if let Some(fast) = parse_signal(frame, &limits) {
                assert_eq!(fast, general, "{frame}");
            }
            assert_eq!(parse_client_message(frame, &limits), general, "{frame}");
        }
    }
}
