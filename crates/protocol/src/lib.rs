//! Agora wire protocol (being written).
