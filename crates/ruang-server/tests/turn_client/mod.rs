//! A small TURN client of the tests' own (independent of the server's TURN library), over UDP or TCP:
//! long-term authentication, Allocate, Refresh, CreatePermission, ChannelBind, Send indications and
//! ChannelData, and reading what the server sends back. Every wait is bounded.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytecodec::{DecodeExt as _, EncodeExt as _};
use stun_codec::rfc5389::attributes::{ErrorCode, MessageIntegrity, Nonce, Realm, Username};
use stun_codec::rfc5766::attributes::{
    ChannelNumber, Data, Lifetime, RequestedTransport, XorPeerAddress, XorRelayAddress,
};
use stun_codec::rfc5766::methods::{ALLOCATE, CHANNEL_BIND, CREATE_PERMISSION, REFRESH, SEND};
use stun_codec::{
    Message, MessageClass, MessageDecoder, MessageEncoder, Method, TransactionId, define_attribute_enums,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;

define_attribute_enums!(
    Attribute,
    AttributeDecoder,
    AttributeEncoder,
    [
        Username,
        MessageIntegrity,
        ErrorCode,
        Realm,
        Nonce,
        ChannelNumber,
        Lifetime,
        XorPeerAddress,
        Data,
        XorRelayAddress,
        RequestedTransport
    ]
);

/// How long an expected answer may take.
const ANSWER: Duration = Duration::from_secs(5);

enum Link {
    Udp(UdpSocket),
    Tcp(TcpStream, Vec<u8>),
}

/// What the server sent.
#[derive(Debug)]
pub enum Received {
    Stun(Message<Attribute>),
    ChannelData(u16, Vec<u8>),
}

pub struct TurnClient {
    link: Link,
    username: String,
    password: String,
    realm: String,
    nonce: String,
    next_id: u8,
}

impl TurnClient {
    pub async fn udp(server: SocketAddr, username: &str, password: &str) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(server).await.unwrap();
        Self::over(Link::Udp(socket), username, password)
    }

    pub async fn tcp(server: SocketAddr, username: &str, password: &str) -> Self {
        Self::over(Link::Tcp(TcpStream::connect(server).await.unwrap(), Vec::new()), username, password)
    }

    fn over(link: Link, username: &str, password: &str) -> Self {
        TurnClient {
            link,
            username: username.to_owned(),
            password: password.to_owned(),
            realm: String::new(),
            nonce: String::new(),
            next_id: 0,
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        match &mut self.link {
            Link::Udp(socket) => {
                socket.send(bytes).await.unwrap();
            }
            Link::Tcp(stream, _) => stream.write_all(bytes).await.unwrap(),
        }
    }

    /// The next thing the server sends within `wait`.
    pub async fn receive(&mut self, wait: Duration) -> Option<Received> {
        let frame = timeout(wait, self.frame()).await.ok()??;
        if frame.first()? & 0xc0 == 0x40 {
            let length = usize::from(u16::from_be_bytes([frame[2], frame[3]]));
            return Some(Received::ChannelData(
                u16::from_be_bytes([frame[0], frame[1]]),
                frame[4..4 + length].to_vec(),
            ));
        }
        let message = MessageDecoder::<Attribute>::new().decode_from_bytes(&frame).ok()?.ok()?;
        Some(Received::Stun(message))
    }

    async fn frame(&mut self) -> Option<Vec<u8>> {
        match &mut self.link {
            Link::Udp(socket) => {
                let mut buf = vec![0; 4096];
                let n = socket.recv(&mut buf).await.ok()?;
                buf.truncate(n);
                Some(buf)
            }
            Link::Tcp(stream, buffered) => loop {
                if buffered.len() >= 4 {
                    let length = usize::from(u16::from_be_bytes([buffered[2], buffered[3]]));
                    let total = if buffered[0] & 0xc0 == 0x40 { (4 + length).div_ceil(4) * 4 } else { 20 + length };
                    if buffered.len() >= total {
                        return Some(buffered.drain(..total).collect());
                    }
                }
                let mut chunk = [0u8; 4096];
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buffered.extend_from_slice(&chunk[..n]);
            },
        }
    }

    /// Sends a request (signed once the server has given a nonce) and returns its answer, retrying once
    /// with the nonce of a 401 or 438.
    pub async fn request(&mut self, method: Method, attributes: Vec<Attribute>) -> Message<Attribute> {
        for _ in 0..2 {
            self.next_id = self.next_id.wrapping_add(1);
            let id = TransactionId::new([self.next_id; 12]);
            let mut message = Message::<Attribute>::new(MessageClass::Request, method, id);
            for attribute in &attributes {
                message.add_attribute(attribute.clone());
            }
            if !self.nonce.is_empty() {
                let username = Username::new(self.username.clone()).unwrap();
                let realm = Realm::new(self.realm.clone()).unwrap();
                message.add_attribute(username.clone());
                message.add_attribute(realm.clone());
                message.add_attribute(Nonce::new(self.nonce.clone()).unwrap());
                let integrity =
                    MessageIntegrity::new_long_term_credential(&message, &username, &realm, &self.password).unwrap();
                message.add_attribute(integrity);
            }
            self.send_raw(&MessageEncoder::new().encode_into_bytes(message).unwrap()).await;
            let answer = self.answer(id).await;
            let code = answer.get_attribute::<ErrorCode>().map(ErrorCode::code);
            if matches!(code, Some(401 | 438)) && self.nonce.is_empty() {
                self.nonce = answer.get_attribute::<Nonce>().map(|n| n.value().to_owned()).unwrap_or_default();
                self.realm = answer.get_attribute::<Realm>().map(|r| r.text().to_owned()).unwrap_or_default();
                continue;
            }
            return answer;
        }
        panic!("no answer after authenticating");
    }

    async fn answer(&mut self, id: TransactionId) -> Message<Attribute> {
        let deadline = tokio::time::Instant::now() + ANSWER;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.receive(left).await {
                Some(Received::Stun(message)) if message.transaction_id() == id => return message,
                Some(_) => continue,
                None => panic!("no answer to a request within {ANSWER:?}"),
            }
        }
    }

    /// Allocates a UDP relay; its relayed address.
    pub async fn allocate(&mut self) -> SocketAddr {
        let answer = self.request(ALLOCATE, vec![RequestedTransport::new(17).into()]).await;
        answer.get_attribute::<XorRelayAddress>().map(XorRelayAddress::address).unwrap_or_else(|| panic!("{answer:?}"))
    }

    /// Ends the allocation (Refresh with lifetime 0).
    pub async fn close(&mut self) {
        let answer = self.request(REFRESH, vec![Lifetime::new(Duration::ZERO).unwrap().into()]).await;
        assert_eq!(answer.class(), MessageClass::SuccessResponse, "{answer:?}");
    }

    /// The error code of a CreatePermission to `peer` (None on success).
    pub async fn permit(&mut self, peer: SocketAddr) -> Option<u16> {
        let answer = self.request(CREATE_PERMISSION, vec![XorPeerAddress::new(peer).into()]).await;
        answer.get_attribute::<ErrorCode>().map(ErrorCode::code)
    }

    /// The error code of a ChannelBind of `number` to `peer` (None on success).
    pub async fn bind(&mut self, number: u16, peer: SocketAddr) -> Option<u16> {
        let attributes = vec![ChannelNumber::new(number).unwrap().into(), XorPeerAddress::new(peer).into()];
        let answer = self.request(CHANNEL_BIND, attributes).await;
        answer.get_attribute::<ErrorCode>().map(ErrorCode::code)
    }

    pub async fn send_indication(&mut self, peer: SocketAddr, data: &[u8]) {
        let mut message = Message::<Attribute>::new(MessageClass::Indication, SEND, TransactionId::new([0xee; 12]));
        message.add_attribute(XorPeerAddress::new(peer));
        message.add_attribute(Data::new(data.to_vec()).unwrap());
        self.send_raw(&MessageEncoder::new().encode_into_bytes(message).unwrap()).await;
    }

    pub async fn channel_data(&mut self, number: u16, data: &[u8]) {
        let mut frame = number.to_be_bytes().to_vec();
        frame.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
        frame.extend_from_slice(data);
        frame.resize(frame.len().div_ceil(4) * 4, 0);
        self.send_raw(&frame).await;
    }

    /// The payloads relayed to this client (Data indications and ChannelData) within `wait`.
    pub async fn relayed(&mut self, wait: Duration) -> Vec<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut payloads = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.receive(left).await {
                Some(Received::ChannelData(_, data)) => payloads.push(data),
                Some(Received::Stun(message)) => {
                    payloads.extend(message.get_attribute::<Data>().map(|d| d.data().to_vec()));
                }
                None => return payloads,
            }
        }
    }
}
