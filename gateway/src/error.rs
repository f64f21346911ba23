//! The gateway's HTTP errors, shaped as OpenAI's: `{"error": {"message", "type", "param",
//! "code"}}`, plus `"required"` (planck, as a string) on a payment error that knows what would
//! pay.
//!
//! ```text
//! status  type                    code
//! 400     invalid_request_error   invalid_request_error (or a more precise code)
//! 401     authentication_error    invalid_voucher (or the ledger's code)
//! 402     payment_error           payment_required (or the ledger's code)
//! 404     invalid_request_error   model_not_found / channel_not_found / not_found
//! 429     rate_limit_error        rate_limit_exceeded
//! 500     server_error            internal_error
//! 503     server_error            no_miner_available
//! ```

use agora_primitives::Balance;
use axum::{
	http::StatusCode,
	response::{IntoResponse, Response},
	Json,
};
use serde::Serialize;

/// An error answered to an HTTP client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
	/// The HTTP status.
	pub status: StatusCode,
	/// What went wrong, in words a client's user can act on.
	pub message: String,
	/// The request field at fault, if one is.
	pub param: Option<String>,
	/// The machine-readable code.
	pub code: &'static str,
	/// The cumulative voucher amount that would pay (402 only, when known).
	pub required: Option<Balance>,
}

/// The JSON body of an [`ApiError`].
#[derive(Serialize)]
struct Body<'a> {
	error: Inner<'a>,
}

#[derive(Serialize)]
struct Inner<'a> {
	message: &'a str,
	#[serde(rename = "type")]
	kind: &'static str,
	param: Option<&'a str>,
	code: &'static str,
	#[serde(skip_serializing_if = "Option::is_none", with = "optional_planck")]
	required: Option<Balance>,
}

/// `Option<Balance>` as an optional decimal string.
mod optional_planck {
	use agora_primitives::Balance;
	use serde::Serializer;

	pub(super) fn serialize<S: Serializer>(v: &Option<Balance>, s: S) -> Result<S::Ok, S::Error> {
		match v {
			Some(v) => s.collect_str(v),
			None => s.serialize_none(),
		}
	}
}

impl ApiError {
	/// An error with `status`, `code` and `message`.
	pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
		Self { status, message: message.into(), param: None, code, required: None }
	}

	/// 400: the request is malformed or asks for something this gateway does not do.
	pub fn bad_request(message: impl Into<String>) -> Self {
		Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
	}

	/// 404 for a model this gateway does not serve.
	pub fn model_not_found(model: &str) -> Self {
		Self::new(
			StatusCode::NOT_FOUND,
			"model_not_found",
			format!(
				"the model `{model}` does not exist on this gateway; GET /v1/models lists them"
			),
		)
		.param("model")
	}

	/// 401: the request carries no usable voucher.
	pub fn invalid_voucher(message: impl Into<String>) -> Self {
		Self::new(StatusCode::UNAUTHORIZED, "invalid_voucher", message)
	}

	/// 429: the free tier's rate or the gateway's concurrency is exhausted.
	pub fn rate_limited(message: impl Into<String>) -> Self {
		Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", message)
	}

	/// 503: no miner could answer.
	pub fn no_miner(message: impl Into<String>) -> Self {
		Self::new(StatusCode::SERVICE_UNAVAILABLE, "no_miner_available", message)
	}

	/// 500: the gateway itself failed.
	pub fn internal(message: impl Into<String>) -> Self {
		Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", message)
	}

	/// The same error naming the request field at fault.
	pub fn param(mut self, param: &str) -> Self {
		self.param = Some(param.to_string());
		self
	}

	/// OpenAI's `type` for the status.
	pub fn kind(&self) -> &'static str {
		match self.status.as_u16() {
			401 => "authentication_error",
			402 => "payment_error",
			429 => "rate_limit_error",
			500..=599 => "server_error",
			_ => "invalid_request_error",
		}
	}

	/// The JSON body.
	pub fn body(&self) -> serde_json::Value {
		let body = Body {
			error: Inner {
				message: &self.message,
				kind: self.kind(),
				param: self.param.as_deref(),
				code: self.code,
				required: self.required,
			},
		};
		serde_json::to_value(body).unwrap_or_default()
	}
}

impl std::fmt::Display for ApiError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
	}
}

impl IntoResponse for ApiError {
	fn into_response(self) -> Response {
		(self.status, Json(self.body())).into_response()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use serde_json::json;

	#[test]
	fn errors_have_openais_shape() {
		let e = ApiError::model_not_found("gpt-4");
		assert_eq!(e.status, StatusCode::NOT_FOUND);
		assert_eq!(
			e.body(),
			json!({"error": {
				"message": "the model `gpt-4` does not exist on this gateway; GET /v1/models lists them",
				"type": "invalid_request_error",
				"param": "model",
				"code": "model_not_found",
			}})
		);
		let mut paid = ApiError::new(StatusCode::PAYMENT_REQUIRED, "payment_required", "top up");
		paid.required = Some(340_282_366_920_938_463_463_374_607_431_768_211_455);
		let body = paid.body();
		assert_eq!(body["error"]["type"], "payment_error");
		assert_eq!(body["error"]["param"], serde_json::Value::Null);
		assert_eq!(body["error"]["required"], "340282366920938463463374607431768211455");
		assert_eq!(ApiError::rate_limited("slow").body()["error"]["type"], "rate_limit_error");
		assert_eq!(ApiError::no_miner("none").body()["error"]["code"], "no_miner_available");
		assert_eq!(ApiError::invalid_voucher("x").body()["error"]["type"], "authentication_error");
	}
}
