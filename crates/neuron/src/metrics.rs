//! A Prometheus endpoint: `GET /metrics` in the text exposition format, nothing else.

use std::{net::SocketAddr, sync::Arc};

use anyhow::Context;
use prometheus_client::registry::Registry;
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::TcpListener,
};

/// Binds `addr` and answers scrapes until the task is dropped. Returns the bound address.
pub async fn serve(
	addr: SocketAddr,
	registry: Arc<std::sync::Mutex<Registry>>,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
	let listener =
		TcpListener::bind(addr).await.with_context(|| format!("bind metrics on {addr}"))?;
	let bound = listener.local_addr()?;
	tracing::info!("Prometheus metrics on http://{bound}/metrics");
	let task = tokio::spawn(async move {
		loop {
			let Ok((mut stream, _)) = listener.accept().await else { continue };
			let registry = registry.clone();
			tokio::spawn(async move {
				let mut buf = [0u8; 1024];
				let n = match tokio::time::timeout(
					std::time::Duration::from_secs(5),
					stream.read(&mut buf),
				)
				.await
				{
					Ok(Ok(n)) => n,
					_ => return,
				};
				let request = String::from_utf8_lossy(&buf[..n]);
				let path = request.split_whitespace().nth(1).unwrap_or("");
				let (status, body) = if path == "/metrics" {
					let mut body = String::new();
					let encoded = registry
						.lock()
						.map_err(|_| std::fmt::Error)
						.and_then(|r| prometheus_client::encoding::text::encode(&mut body, &r));
					match encoded {
						Ok(()) => ("200 OK", body),
						Err(_) => ("500 Internal Server Error", "encoding failed\n".into()),
					}
				} else {
					("404 Not Found", "try /metrics\n".into())
				};
				let response = format!(
					"HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; \
					 charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
					body.len()
				);
				let _ = stream.write_all(response.as_bytes()).await;
			});
		}
	});
	Ok((bound, task))
}
