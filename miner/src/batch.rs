//! Continuous batching of embedding queries: while the model embeds one batch, the queries that
//! arrive wait in a queue; the next model call takes all of them at once (up to
//! [`MAX_BATCH_SENTENCES`] sentences), and each query gets its own vectors back, signed for it.
//!
//! No query waits for a batch to fill: an idle miner embeds a query as soon as it arrives, and
//! batches form only from queries that would have queued anyway. The packed BERT encoder
//! (`agora_models::bert`) computes each text from its own tokens alone, so a text's vector does
//! not depend on the texts it was batched with.

use std::time::{Duration, Instant};

use agora_protocol::{Answer, Inbound, Refusal};
use tokio::sync::mpsc;

/// The most sentences one model call embeds (a query brings at most 64).
pub(crate) const MAX_BATCH_SENTENCES: usize = 64;

/// One checked embedding query waiting for the model.
pub(crate) struct Job {
	/// The query, answered from here.
	pub(crate) inbound: Inbound,
	/// Its sentences (checked: 1 to 64).
	pub(crate) sentences: Vec<String>,
	/// When it arrived, for the latency metric.
	pub(crate) arrived: Instant,
}

/// What the batcher needs of the model and of the metrics.
pub(crate) trait Embed: Send + Sync + 'static {
	/// Embeds `sentences`, one vector each, in order; the model's name.
	fn embed(&self, sentences: &[String]) -> Result<(String, Vec<Vec<f32>>), String>;
	/// Records one query's outcome and latency.
	fn observe(&self, result: &Result<Answer, Refusal>, took: Duration);
}

/// Something queued with a number of sentences.
trait Queued {
	fn sentences(&self) -> usize;
}

impl Queued for Job {
	fn sentences(&self) -> usize {
		self.sentences.len()
	}
}

/// The queries of one model call: the first job, then every job already queued that fits.
/// A job that would overflow the batch is handed back for the next call.
fn take_batch<J: Queued>(
	first: J,
	carried: &mut Option<J>,
	jobs: &mut mpsc::Receiver<J>,
) -> Vec<J> {
	let mut total = first.sentences();
	let mut batch = vec![first];
	while total < MAX_BATCH_SENTENCES {
		let Ok(job) = jobs.try_recv() else { break };
		if total + job.sentences() > MAX_BATCH_SENTENCES {
			*carried = Some(job);
			break;
		}
		total += job.sentences();
		batch.push(job);
	}
	batch
}

/// Splits the vectors of a batch's sentences back into one answer per query.
fn split(model: &str, mut vectors: Vec<Vec<f32>>, sizes: &[usize]) -> Result<Vec<Answer>, String> {
	let expected: usize = sizes.iter().sum();
	if vectors.len() != expected {
		return Err(format!("the model gave {} vectors for {expected} sentences", vectors.len()));
	}
	let mut answers = Vec::with_capacity(sizes.len());
	for &n in sizes {
		let rest = vectors.split_off(n);
		answers.push(Answer::Embeddings { model: model.to_string(), vectors });
		vectors = rest;
	}
	Ok(answers)
}

/// Runs until every sender is dropped: one model call at a time (on a blocking thread), each
/// over every query queued meanwhile. Queries that expired while queued (nobody waits for the
/// answer) are dropped unanswered, with no model work for them.
pub(crate) async fn run<M: Embed>(model: std::sync::Arc<M>, mut jobs: mpsc::Receiver<Job>) {
	let mut carried: Option<Job> = None;
	loop {
		let first = match carried.take() {
			Some(job) => job,
			None => match jobs.recv().await {
				Some(job) => job,
				None => return,
			},
		};
		let (live, expired): (Vec<Job>, Vec<Job>) = take_batch(first, &mut carried, &mut jobs)
			.into_iter()
			.partition(|j| j.inbound.is_pending());
		for job in expired {
			tracing::info!("embed for {} expired while waiting for the model", job.inbound.peer);
		}
		if live.is_empty() {
			continue;
		}
		let sizes: Vec<usize> = live.iter().map(|j| j.sentences.len()).collect();
		let sentences: Vec<String> =
			live.iter().flat_map(|j| j.sentences.iter().cloned()).collect();
		let m = model.clone();
		let embedded = tokio::task::spawn_blocking(move || m.embed(&sentences))
			.await
			.unwrap_or_else(|e| Err(format!("the model panicked: {e}")))
			.and_then(|(name, vectors)| split(&name, vectors, &sizes));
		if live.len() > 1 {
			tracing::debug!(
				"embedded {} queries ({} sentences) in one call",
				live.len(),
				sizes.iter().sum::<usize>()
			);
		}
		match embedded {
			Ok(answers) => {
				for (job, answer) in live.into_iter().zip(answers) {
					let result = Ok(answer);
					model.observe(&result, job.arrived.elapsed());
					job.inbound.reply(result);
				}
			},
			Err(reason) => {
				for job in live {
					let result = Err(Refusal::Failed { reason: reason.clone() });
					model.observe(&result, job.arrived.elapsed());
					job.inbound.reply(result);
				}
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	impl Queued for usize {
		fn sentences(&self) -> usize {
			*self
		}
	}

	#[test]
	fn a_batch_takes_what_is_queued_up_to_the_limit_and_carries_the_rest() {
		let (tx, mut rx) = mpsc::channel(16);
		for n in [10usize, 30, 20, 5] {
			tx.try_send(n).expect("room");
		}
		let mut carried = None;
		// 1 + 10 + 30 = 41; + 20 would be 61 ≤ 64: taken; + 5 = 66: carried.
		let batch = take_batch(1usize, &mut carried, &mut rx);
		assert_eq!(batch, vec![1, 10, 30, 20]);
		assert_eq!(carried, Some(5));
		// An idle queue: the first job alone, at once.
		let mut none = None;
		assert_eq!(take_batch(64usize, &mut none, &mut rx), vec![64]);
		assert_eq!(none, None);
	}

	#[test]
	fn a_batch_is_split_back_per_query_in_order() {
		let vectors: Vec<Vec<f32>> = (0..6).map(|i| vec![i as f32]).collect();
		let answers = split("m", vectors, &[1, 3, 2]).expect("splits");
		let firsts: Vec<Vec<f32>> = answers
			.iter()
			.map(|a| match a {
				Answer::Embeddings { vectors, .. } => vectors.iter().map(|v| v[0]).collect(),
				other => panic!("{other:?}"),
			})
			.collect();
		assert_eq!(firsts, vec![vec![0.0], vec![1.0, 2.0, 3.0], vec![4.0, 5.0]]);
		assert!(split("m", vec![vec![0.0]; 5], &[1, 3, 2]).is_err(), "a count mismatch fails");
	}
}
