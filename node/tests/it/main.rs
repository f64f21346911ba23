//! End-to-end tests of `agora-node`: real node processes on loopback ports.

mod attacks;
mod bad_input;
mod chain;
mod dev_chain;
mod harness;
mod local_network;
mod subnet_scenario;
mod upgrade_check;
