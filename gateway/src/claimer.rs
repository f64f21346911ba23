//! Claiming the vouchers held on chain: periodically, before channels expire, at start and at
//! shutdown.
