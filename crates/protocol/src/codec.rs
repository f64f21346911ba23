//! The request-response codec: one CBOR item per stream direction, bounded in size.

use std::io;

use async_trait::async_trait;
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{request_response, StreamProtocol};

use crate::{
	message::{from_cbor, to_cbor},
	Limits, Query, Refusal, Response,
};

/// A response as the codec carries it: a value (what is read; a refusal to write), or bytes
/// already encoded (a signed answer, encoded once for its digest and the wire).
#[derive(Debug)]
pub(crate) enum WireResponse {
	Value(Response),
	Encoded(Vec<u8>),
}

impl WireResponse {
	/// The response, decoding it if it is still bytes.
	pub(crate) fn into_response(self) -> io::Result<Response> {
		match self {
			WireResponse::Value(response) => Ok(response),
			WireResponse::Encoded(bytes) => from_cbor(&bytes),
		}
	}
}

impl From<Response> for WireResponse {
	fn from(response: Response) -> Self {
		WireResponse::Value(response)
	}
}

/// Reads and writes [`Query`] / [`Response`] as CBOR.
///
/// Each side writes its message and closes its half of the stream, so a message is everything up
/// to the end of the stream; reads stop at `limit + 1` bytes, and a message over its limit is an
/// error without being decoded.
#[derive(Clone, Debug)]
pub(crate) struct CborCodec {
	max_request_bytes: usize,
	max_response_bytes: usize,
}

impl CborCodec {
	pub(crate) fn new(limits: &Limits) -> Self {
		Self {
			max_request_bytes: limits.max_request_bytes,
			max_response_bytes: limits.max_response_bytes,
		}
	}
}

/// Reads to the end of the stream, at most `limit` bytes.
async fn read_bounded<T>(io: &mut T, limit: usize, what: &str) -> io::Result<Vec<u8>>
where
	T: AsyncRead + Unpin + Send,
{
	let mut bytes = Vec::new();
	let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
	io.take(cap).read_to_end(&mut bytes).await?;
	if bytes.is_empty() {
		// E.g. a responder that rejected the request (too large, malformed) drops the stream.
		return Err(io::Error::new(
			io::ErrorKind::UnexpectedEof,
			format!("the peer closed the stream without sending a {what}"),
		));
	}
	if bytes.len() > limit {
		return Err(io::Error::new(
			io::ErrorKind::InvalidData,
			format!("{what} exceeds the limit of {limit} bytes"),
		));
	}
	Ok(bytes)
}

/// The error of a message over its limit, before sending it.
pub(crate) fn too_large(what: &str, len: usize, limit: usize) -> io::Error {
	io::Error::new(
		io::ErrorKind::InvalidInput,
		format!("{what} of {len} bytes exceeds the limit of {limit} bytes"),
	)
}

#[async_trait]
impl request_response::Codec for CborCodec {
	type Protocol = StreamProtocol;
	type Request = Query;
	type Response = WireResponse;

	async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Query>
	where
		T: AsyncRead + Unpin + Send,
	{
		let bytes = read_bounded(io, self.max_request_bytes, "request").await?;
		from_cbor(&bytes)
	}

	async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<WireResponse>
	where
		T: AsyncRead + Unpin + Send,
	{
		let bytes = read_bounded(io, self.max_response_bytes, "response").await?;
		from_cbor(&bytes).map(WireResponse::Value)
	}

	async fn write_request<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		request: Query,
	) -> io::Result<()>
	where
		T: AsyncWrite + Unpin + Send,
	{
		let bytes = to_cbor(&request)?;
		if bytes.len() > self.max_request_bytes {
			return Err(too_large("request", bytes.len(), self.max_request_bytes));
		}
		io.write_all(&bytes).await
	}

	async fn write_response<T>(
		&mut self,
		_: &StreamProtocol,
		io: &mut T,
		response: WireResponse,
	) -> io::Result<()>
	where
		T: AsyncWrite + Unpin + Send,
	{
		let mut bytes = match response {
			WireResponse::Value(response) => to_cbor(&response)?,
			WireResponse::Encoded(bytes) => bytes,
		};
		if bytes.len() > self.max_response_bytes {
			tracing::warn!(
				len = bytes.len(),
				limit = self.max_response_bytes,
				"response over the size limit, answering Refusal::Failed instead"
			);
			let refusal = Response::Refused(Refusal::Failed {
				reason: too_large("response", bytes.len(), self.max_response_bytes).to_string(),
			});
			bytes = to_cbor(&refusal)?;
		}
		io.write_all(&bytes).await
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{Answer, Hotkey, HotkeyPair, SignedAnswer, TaskRequest, PROTOCOL_NAME};
	use futures::io::Cursor;
	use request_response::Codec as _;

	const PROTOCOL: StreamProtocol = StreamProtocol::new(PROTOCOL_NAME);

	fn codec(max_request_bytes: usize, max_response_bytes: usize) -> CborCodec {
		CborCodec { max_request_bytes, max_response_bytes }
	}

	fn key() -> HotkeyPair {
		HotkeyPair::from_uri(&"//Validator".parse().expect("uri")).expect("keypair")
	}

	fn embed(sentences: usize, len: usize) -> Query {
		let task = TaskRequest::Embed { sentences: vec!["x".repeat(len); sentences] };
		Query::signed(1, Hotkey([1; 32]), 0, task, &key())
	}

	#[tokio::test]
	async fn request_and_response_round_trip_through_the_codec() {
		let mut c = codec(1024, 1024);
		let query = embed(3, 10);
		let mut wire = Cursor::new(Vec::new());
		c.write_request(&PROTOCOL, &mut wire, query.clone()).await.expect("writes");
		let mut read = Cursor::new(wire.into_inner());
		assert_eq!(c.read_request(&PROTOCOL, &mut read).await.expect("reads"), query);

		let answer = Answer::Embeddings { model: "m".into(), vectors: vec![vec![1.0]] };
		let response = Response::Ok(SignedAnswer::sign(answer, &query, &key()));
		let mut wire = Cursor::new(Vec::new());
		c.write_response(&PROTOCOL, &mut wire, response.clone().into()).await.expect("writes");
		let mut read = Cursor::new(wire.into_inner());
		let got = c.read_response(&PROTOCOL, &mut read).await.expect("reads");
		assert_eq!(got.into_response().expect("a response"), response);

		// Already encoded: written as is.
		let encoded = to_cbor(&response).expect("encodes");
		let mut wire = Cursor::new(Vec::new());
		c.write_response(&PROTOCOL, &mut wire, WireResponse::Encoded(encoded.clone()))
			.await
			.expect("writes");
		assert_eq!(wire.into_inner(), encoded);
	}

	#[tokio::test]
	async fn oversize_messages_are_refused_both_ways() {
		let query = embed(1, 200);
		let encoded = to_cbor(&query).expect("encodes");
		// Exactly at the limit is fine.
		let mut at_limit = codec(encoded.len(), 1024);
		let mut read = Cursor::new(encoded.clone());
		assert_eq!(at_limit.read_request(&PROTOCOL, &mut read).await.expect("reads"), query);

		// One byte less: not decoded, and not read past limit + 1.
		let mut small = codec(encoded.len() - 1, 1024);
		let mut read = Cursor::new(encoded.clone());
		let err = small.read_request(&PROTOCOL, &mut read).await.expect_err("over the limit");
		assert_eq!(err.kind(), io::ErrorKind::InvalidData);
		assert_eq!(read.position(), encoded.len() as u64);
		let mut wire = Cursor::new(Vec::new());
		let err = small.write_request(&PROTOCOL, &mut wire, query).await.expect_err("too big");
		assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
		assert!(wire.into_inner().is_empty(), "nothing is sent");

		let mut long = Cursor::new(vec![0u8; 10_000]);
		let err = codec(100, 100).read_response(&PROTOCOL, &mut long).await.expect_err("too big");
		assert!(err.to_string().contains("exceeds the limit of 100 bytes"), "{err}");
		assert_eq!(long.position(), 101);
	}

	#[tokio::test]
	async fn an_oversize_answer_is_replaced_by_a_refusal() {
		let mut c = codec(1024, 200);
		let answer =
			Answer::Generation { model: "m".into(), text: "y".repeat(1000), logprobs: None };
		let big = Response::Ok(SignedAnswer::sign(answer, &embed(1, 1), &key()));
		let encoded = WireResponse::Encoded(to_cbor(&big).expect("encodes"));
		for response in [WireResponse::Value(big), encoded] {
			let mut wire = Cursor::new(Vec::new());
			c.write_response(&PROTOCOL, &mut wire, response).await.expect("writes");
			let mut read = Cursor::new(wire.into_inner());
			let got = c.read_response(&PROTOCOL, &mut read).await.expect("reads");
			match got.into_response().expect("a response") {
				Response::Refused(Refusal::Failed { reason }) => {
					assert!(reason.contains("exceeds the limit of 200 bytes"), "{reason}")
				},
				other => panic!("unexpected {other:?}"),
			}
		}
	}
}
