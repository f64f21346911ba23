//! `agora audit`: checks a validator's signed audit log (`agora_neuron::audit`) and compares it
//! with the chain.

use std::path::{Path, PathBuf};

use agora_client::{
	chain::{BlockCall, WeightsCall},
	AccountId32, Client, H256,
};
use agora_neuron::audit::{self, Logged, RoundRecord, Verdict, WeightsAction};
use clap::Subcommand;
use serde_json::json;

use crate::{output::Out, Ctx, Failure, Result};

#[derive(Subcommand)]
pub(crate) enum AuditCmd {
	/// Check a validator's audit log, round by round: the validator's signature of each line,
	/// every query's and answer's signature, each score re-computed from the challenge and the
	/// signed answer, the averages re-folded and the weights re-computed from them; with `--url`
	/// (or AGORA_URL), also the weights transactions in their blocks and the weights stored.
	///
	/// Exit code 0 when every round is consistent, 1 when one is not (or the node cannot be
	/// reached), 2 when the file cannot be read or a line is not an audit record.
	Verify {
		/// The audit log: `<state-dir>/<netuid>-<hotkey>.audit.jsonl` of `agora-validator`.
		file: PathBuf,
	},
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: AuditCmd) -> Result<()> {
	let AuditCmd::Verify { file } = cmd;
	let records = read_log(&file)?;
	let mut verdicts = audit::verify_log(&records);
	let client = if ctx.url_given() { Some(ctx.client().await?) } else { None };
	let mut chain_notes = Vec::with_capacity(records.len());
	for (logged, verdict) in records.iter().zip(&mut verdicts) {
		let note = match &client {
			Some(client) => Some(check_chain(client, &logged.record, verdict).await?),
			None => None,
		};
		chain_notes.push(note);
	}
	if let Some(client) = &client {
		flag_unlogged_weights(client, &records, &mut verdicts).await?;
	}

	let bad = verdicts.iter().filter(|v| !v.consistent()).count();
	let rows: Vec<(&RoundRecord, &Verdict, Option<&String>)> = records
		.iter()
		.zip(&verdicts)
		.zip(&chain_notes)
		.map(|((l, v), n)| (&l.record, v, n.as_ref()))
		.collect();
	let offline = "offline checks only: pass --url (or set AGORA_URL) to compare with the chain";
	out.value(
		json!({
			"ok": bad == 0,
			"file": file.display().to_string(),
			"chain": client.as_ref().map(|c| c.url().to_string()),
			"rounds": rows.iter().map(|(r, v, note)| json!({
				"round": r.round,
				"block": r.block,
				"consistent": v.consistent(),
				"answers_verified": v.answers_verified,
				"unanswered": v.unanswered,
				"weights": weights_kind(&r.weights),
				"chain": note,
				"inconsistencies": v.inconsistencies.iter().map(ToString::to_string).collect::<Vec<_>>(),
			})).collect::<Vec<_>>(),
			"consistent": records.len() - bad,
			"inconsistent": bad,
		}),
		|| {
			let mut text: Vec<String> =
				rows.iter().map(|(r, v, note)| round_line(r, v, *note)).collect();
			text.push(format!(
				"{} round(s): {} consistent, {bad} inconsistent{}",
				records.len(),
				records.len() - bad,
				if client.is_none() { format!(" ({offline})") } else { String::new() }
			));
			text.join("\n")
		},
	);
	if bad > 0 {
		// The report is the answer; with --json nothing more goes to stdout.
		return Err(Failure {
			code: 1,
			message: if ctx.global.json {
				String::new()
			} else {
				format!("{bad} of {} round(s) are inconsistent", records.len())
			},
		});
	}
	Ok(())
}

/// Every record of `path`, in order; a line that is not one is a usage error naming it.
fn read_log(path: &Path) -> Result<Vec<Logged>> {
	let text = std::fs::read_to_string(path).map_err(|e| {
		Failure::usage(format!("cannot read the audit log {}: {e}", path.display()))
	})?;
	let mut records = Vec::new();
	for (i, line) in text.lines().enumerate() {
		if line.trim().is_empty() {
			continue;
		}
		let logged = Logged::parse(line)
			.map_err(|e| Failure::usage(format!("{} line {}: {e}", path.display(), i + 1)))?;
		records.push(logged);
	}
	if records.is_empty() {
		return Err(Failure::usage(format!("{} holds no audit record", path.display())));
	}
	Ok(records)
}

fn weights_kind(action: &WeightsAction) -> &'static str {
	match action {
		WeightsAction::None { .. } => "none",
		WeightsAction::Set { .. } => "set",
		WeightsAction::Committed { .. } => "committed",
		WeightsAction::Revealed { .. } => "revealed",
	}
}

/// `round 7 @ #123: consistent — 3 answers verified, weights set` or
/// `round 7 @ #123: INCONSISTENT: reason; reason`.
fn round_line(r: &RoundRecord, v: &Verdict, chain: Option<&String>) -> String {
	let head = format!("round {} @ #{}", r.round, r.block);
	if !v.consistent() {
		let reasons: Vec<String> = v.inconsistencies.iter().map(ToString::to_string).collect();
		return format!("{head}: INCONSISTENT: {}", reasons.join("; "));
	}
	let mut parts = vec![format!("{} answer(s) verified", v.answers_verified)];
	if v.unanswered > 0 {
		parts.push(format!("{} miner(s) without an answer", v.unanswered));
	}
	parts.push(match &r.weights {
		WeightsAction::None { reason } => format!("no weights ({reason})"),
		other => format!("weights {}", weights_kind(other)),
	});
	if let Some(note) = chain {
		parts.push(note.clone());
	}
	format!("{head}: consistent — {}", parts.join(", "))
}

/// Compares `r` with the chain; what does not match becomes an inconsistency in `verdict`.
/// Returns what was checked, for the report.
async fn check_chain(client: &Client, r: &RoundRecord, verdict: &mut Verdict) -> Result<String> {
	let mut flag = |what: String| {
		verdict.inconsistencies.push(audit::Inconsistency { uid: None, what });
	};
	match client.block_hash(u64::from(r.block)).await? {
		Some(h) if format!("{h:?}") == r.block_hash.to_ascii_lowercase() => {},
		Some(h) => {
			flag(format!("block #{} is {h:?} on chain, the record says {}", r.block, r.block_hash))
		},
		None => flag(format!("the chain has no block #{}", r.block)),
	}
	let Some(sent) = r.weights.submitted() else {
		return Ok("block hash matches the chain".into());
	};
	let Some(hash) = parse_hash(&sent.block_hash) else {
		flag(format!("inclusion block {:?} is not a block hash", sent.block_hash));
		return Ok("weights not checked".into());
	};
	let Some(calls) = client.block_calls(hash).await? else {
		flag(format!("the chain has no block {hash:?} (where the weights were said to be)"));
		return Ok("weights not on chain".into());
	};
	let canonical = match client.block_number(hash).await? {
		Some(n) => client.block_hash(n).await? == Some(hash),
		None => false,
	};
	if !canonical {
		flag(format!("block {hash:?} is not on the best chain"));
	}
	let validator = r.validator_key().map(AccountId32);
	let found = calls
		.iter()
		.filter(|c| c.signer.is_some() && c.signer == validator)
		.find_map(|c| matching_call(c, r, &r.weights).map(|mismatch| (c.index, mismatch)));
	let (index, mismatch) = match found {
		Some(f) => f,
		None => {
			flag(format!("no {} by the validator in block {hash:?}", call_name(&r.weights)));
			return Ok("weights not on chain".into());
		},
	};
	if let Some(m) = mismatch {
		flag(format!("the {} in block {hash:?} (extrinsic {index}) {m}", call_name(&r.weights)));
		return Ok("weights differ from the chain".into());
	}
	if matches!(r.weights, WeightsAction::Committed { .. }) {
		return Ok(format!("commit found in block {hash:?}"));
	}
	// The weights stored after that block, when the node still has its state.
	let stored = match client.weights_at(r.netuid, r.uid, Some(hash)).await {
		Ok(stored) => stored,
		Err(_) => {
			return Ok(format!(
				"weights match the transaction in block {hash:?} (its state is pruned)"
			))
		},
	};
	if stored != audit::stored_form(&sent.uids, &sent.values) {
		flag(format!("the weights stored at block {hash:?} are {stored:?}"));
		return Ok("weights differ from the chain".into());
	}
	Ok("weights match the chain".into())
}

/// Blocks scanned at most for weights calls the log does not hold.
const SCAN_LIMIT: u32 = 20_000;

/// Blocks at the chain's head left out of that scan: a running validator logs its weights a
/// moment after they are included.
const SCAN_MARGIN: u32 = 10;

/// Reads every block from the first record's to [`SCAN_MARGIN`] blocks before the chain's best
/// (at least to the last record's inclusion block), and flags each weights call (`set_weights`,
/// `commit_weights`, `reveal_weights`) of the validator that no record names as its
/// submission: weights a validator set on chain without logging them. The finding goes to the
/// last record before its block. At most [`SCAN_LIMIT`] blocks (the last ones); a longer log is
/// scanned in part, and says so.
async fn flag_unlogged_weights(
	client: &Client,
	records: &[Logged],
	verdicts: &mut [Verdict],
) -> Result<()> {
	let (Some(first), Some(last)) = (records.first(), records.last()) else { return Ok(()) };
	let logged: std::collections::HashSet<String> = records
		.iter()
		.filter_map(|l| l.record.weights.submitted().map(|s| s.block_hash.to_ascii_lowercase()))
		.collect();
	let best = client.metagraph(first.record.netuid).await?.block;
	let mut end = last.record.block.max(best.saturating_sub(SCAN_MARGIN));
	if let Some(hash) = last.record.weights.submitted().and_then(|s| parse_hash(&s.block_hash)) {
		if let Some(n) = client.block_number(hash).await? {
			end = end.max(u32::try_from(n).unwrap_or(u32::MAX));
		}
	}
	let start = first.record.block.max(end.saturating_sub(SCAN_LIMIT));
	let validator = first.record.validator_key().map(AccountId32);
	for number in start..=end {
		let Some(hash) = client.block_hash(u64::from(number)).await? else { continue };
		let Some(calls) = client.block_calls(hash).await? else { continue };
		let unlogged = calls.iter().find(|c| {
			c.signer.is_some()
				&& c.signer == validator
				&& c.pallet == "Subnets"
				&& matches!(c.call.as_str(), "set_weights" | "commit_weights" | "reveal_weights")
				&& !logged.contains(&format!("{hash:?}"))
		});
		if let Some(call) = unlogged {
			let at = records.iter().rposition(|l| l.record.block <= number).unwrap_or(0);
			verdicts[at].inconsistencies.push(audit::Inconsistency {
				uid: None,
				what: format!(
					"the validator's {} in block #{number} ({hash:?}) is in no record of the log",
					call.call
				),
			});
		}
	}
	if start > first.record.block {
		eprintln!(
			"note: blocks #{start}..=#{end} were scanned for weights the log does not hold, not \
			 the {} before them",
			start - first.record.block
		);
	}
	Ok(())
}

fn call_name(action: &WeightsAction) -> &'static str {
	match action {
		WeightsAction::Committed { .. } => "commit_weights",
		WeightsAction::Revealed { .. } => "reveal_weights",
		_ => "set_weights",
	}
}

/// `None` when `call` is not the kind of weights call `action` records; `Some(None)` when it
/// matches the record; `Some(Some(why))` when it is that call with other arguments.
fn matching_call(
	call: &BlockCall,
	r: &RoundRecord,
	action: &WeightsAction,
) -> Option<Option<String>> {
	let sent = action.submitted()?;
	let logged = (r.netuid, &sent.uids, &sent.values, sent.version_key);
	let differs =
		|on_chain: String| Some(Some(format!("carries {on_chain}, the record {logged:?}")));
	match (call.weights_call()?, action) {
		(WeightsCall::Set { netuid, uids, values, version_key }, WeightsAction::Set { .. }) => {
			if (netuid, &uids, &values, version_key) == logged {
				Some(None)
			} else {
				differs(format!("{:?}", (netuid, &uids, &values, version_key)))
			}
		},
		(
			WeightsCall::Commit { netuid, hash },
			WeightsAction::Committed { hash: logged_hash, .. },
		) => {
			if netuid == r.netuid && audit::parse_hex(logged_hash).as_deref() == Some(&hash[..]) {
				Some(None)
			} else {
				Some(Some(format!(
					"commits 0x{} on subnet {netuid}, the record {logged_hash}",
					hex(&hash)
				)))
			}
		},
		(
			WeightsCall::Reveal { netuid, uids, values, salt, version_key },
			WeightsAction::Revealed { salt: logged_salt, .. },
		) => {
			if (netuid, &uids, &values, version_key) == logged
				&& audit::parse_hex(logged_salt).as_deref() == Some(&salt[..])
			{
				Some(None)
			} else {
				differs(format!(
					"{:?} with salt 0x{}",
					(netuid, &uids, &values, version_key),
					hex(&salt)
				))
			}
		},
		_ => None,
	}
}

fn hex(bytes: &[u8]) -> String {
	bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hash(text: &str) -> Option<H256> {
	let bytes = audit::parse_hex(text)?;
	<[u8; 32]>::try_from(bytes).ok().map(H256)
}
