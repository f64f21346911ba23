//! Errors.

use libp2p::Multiaddr;

/// Why an outbound query (or dial) did not get a response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
	/// No response within [`Limits::request_timeout`](crate::Limits::request_timeout).
	#[error("query timed out")]
	Timeout,
	/// The peer could not be reached.
	#[error("could not connect to the peer: {0}")]
	DialFailure(String),
	/// The connection closed before the response arrived.
	#[error("the connection closed before the response arrived")]
	ConnectionClosed,
	/// The peer does not speak [`PROTOCOL_NAME`](crate::PROTOCOL_NAME).
	#[error("the peer does not support {}", crate::PROTOCOL_NAME)]
	UnsupportedProtocol,
	/// Reading or writing the stream failed, or a message was over its size limit or malformed.
	#[error("i/o error: {0}")]
	Io(String),
	/// The node's event loop has stopped ([`Client::shutdown`](crate::Client::shutdown)).
	#[error("the protocol node has shut down")]
	Shutdown,
}

/// Why a node could not be started.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
	/// Building the transport (TCP + Noise + Yamux) failed.
	#[error("cannot build the transport: {0}")]
	Transport(String),
	/// Listening on an address failed (unsupported address, address in use, ...).
	#[error("cannot listen on {addr}: {why}")]
	Listen {
		/// The address.
		addr: Multiaddr,
		/// Why, in words.
		why: String,
	},
	/// An authorizer was given without a hotkey to sign answers with.
	#[error(
		"a node that answers queries (Config::authorizer is set) needs Config::hotkey to sign its \
		 answers"
	)]
	NoHotkey,
}
