//! `agora-gateway`.
fn main() {}
