//! Agora models (being written).
