//! The reference: a minimal WebSocket relay with no validation, rooms, limits or sender stamping. A join
//! gets an id; any other frame is forwarded as it is to the id after `"to":"`. ruang should cost no more
//! CPU per relayed message than this, although it validates, routes by room and enforces limits.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// Options of `minimal-relay`.
#[derive(Args)]
pub struct MinimalArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
}

type Peers = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<Message>>>>;

pub async fn run(args: MinimalArgs) -> anyhow::Result<()> {
    let listener = TcpListener::bind(args.listen).await?;
    println!("minimal relay on {} (pid {})", listener.local_addr()?, std::process::id());
    let peers: Peers = Arc::default();
    let next_id = Arc::new(AtomicU64::new(1));
    loop {
        let (tcp, _) = listener.accept().await?;
        tokio::spawn(serve(tcp, Arc::clone(&peers), Arc::clone(&next_id)));
    }
}

async fn serve(tcp: TcpStream, peers: Peers, next_id: Arc<AtomicU64>) {
    let _ = tcp.set_nodelay(true);
    let Ok(ws) = tokio_tungstenite::accept_async(tcp).await else { return };
    let (mut sink, mut stream) = ws.split();
    let id = format!("{:016x}", next_id.fetch_add(1, Ordering::Relaxed));
    let (tx, mut rx) = mpsc::unbounded_channel();
    peers.lock().unwrap_or_else(PoisonError::into_inner).insert(id.clone(), tx.clone());
    let writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            if sink.send(message).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(Message::Text(text))) = stream.next().await {
        if text.contains(r#""type":"join""#) {
            let _ = tx.send(Message::text(format!(r#"{{"type":"welcome","you":"{id}"}}"#)));
            continue;
        }
        let Some(start) = text.find(r#""to":""#).map(|i| i + 6) else { continue };
        let target = text.get(start..start + 16).unwrap_or_default();
        let peer = peers.lock().unwrap_or_else(PoisonError::into_inner).get(target).cloned();
        if let Some(peer) = peer {
            let _ = peer.send(Message::Text(text));
        }
    }
    peers.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
    writer.abort();
}
