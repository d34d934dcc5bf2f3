//! `ruang-bench`: a load generator that speaks ruang's protocol, and a minimal relay to measure against.
//!
//! - `relay`: pairs of participants exchange candidate-sized or SDP-sized signals at a fixed offered rate or
//!   as fast as a window of outstanding messages allows; reports delivery, latency percentiles, server CPU
//!   per relayed message and server memory (from `/proc/<pid>`), and the generator's own CPU.
//! - `scale`: many idle participants in rooms of a few, reporting join rate and server memory per participant.
//! - `churn`: participants joining and leaving continuously while pairs relay; join errors and latency.
//! - `sfu`: bots sending and receiving synthetic video and audio through ruang's SFU or, as the baseline,
//!   Janus's VideoRoom; forwarded streams, loss, delay, server CPU per forwarded stream and memory.
//! - `minimal-relay`: a WebSocket relay without validation, rooms or limits, as the reference to beat.
//!
//! See `docs/benchmarks.md` for how to run them side by side.

mod churn;
mod client;
mod media;
mod minimal;
mod procfs;
mod relay;
mod scale;
mod sfu;
mod stats;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Load generator for ruang's signaling protocol")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Relay signals between pairs of participants.
    Relay(relay::RelayArgs),
    /// Join many idle participants.
    Scale(scale::ScaleArgs),
    /// Join and leave continuously while pairs relay.
    Churn(churn::ChurnArgs),
    /// Bots publishing and subscribing to media through ruang's SFU or Janus's VideoRoom.
    Sfu(sfu::SfuArgs),
    /// Run the minimal reference relay.
    MinimalRelay(minimal::MinimalArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        match cli.command {
            Command::Relay(args) => relay::run(args).await,
            Command::Scale(args) => scale::run(args).await,
            Command::Churn(args) => churn::run(args).await,
            Command::MinimalRelay(args) => minimal::run(args).await,
            Command::Sfu(args) => sfu::run(args).await,
        }
    })
}
