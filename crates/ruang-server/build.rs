//! Rebuilds the server when the embedded web client changes (`include_dir!` cannot tell cargo itself).
fn main() {
    println!("cargo:rerun-if-changed=../../web");
}
