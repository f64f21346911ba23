//! The command groups of `agora`: each module holds a group's clap types and its handler.

pub(crate) mod audit;
pub(crate) mod balance;
pub(crate) mod chain;
pub(crate) mod channel;
pub(crate) mod gateway;
pub(crate) mod gov;
pub(crate) mod metagraph;
pub(crate) mod proxy;
pub(crate) mod stake;
pub(crate) mod subnet;
pub(crate) mod swap;
pub(crate) mod wallet;
pub(crate) mod weights;
