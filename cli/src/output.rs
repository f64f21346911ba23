//! What the CLI prints: JSON with `--json`, tables and text otherwise; progress and notes on
//! stderr so stdout stays clean.

use std::{
	io::{IsTerminal, Write},
	process::ExitCode,
};

use agora_client::{
	amount::format_agr,
	chain::{Drained, Receipt, RuntimeAccountId},
	AccountId32,
};
use agora_primitives::{Metagraph, StakeInfo, SubnetHyperparams, SubnetInfo, Uid};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde_json::{json, Value};

/// Where output goes and in which form.
pub(crate) struct Out {
	json: bool,
	tty: bool,
}

fn frac(v: u16) -> f64 {
	f64::from(v) / f64::from(u16::MAX)
}

/// An amount in JSON: `{"agr": "1.5", "plancks": 1500000000}`.
pub(crate) fn agr(plancks: u128) -> Value {
	json!({ "agr": format_agr(plancks), "plancks": plancks })
}

impl Out {
	pub(crate) fn new(json: bool) -> Self {
		Self { json, tty: std::io::stderr().is_terminal() }
	}

	/// Prints `value` as JSON, or `text()` for people.
	pub(crate) fn value(&self, value: Value, text: impl FnOnce() -> String) {
		if self.json {
			println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
		} else {
			println!("{}", text());
		}
	}

	/// A successful transaction: its block and events.
	pub(crate) fn receipt(&self, r: &Receipt, summary: &str) {
		self.receipt_with(r, summary, json!({}));
	}

	/// A successful transaction, its JSON with `extra`'s keys added (e.g. the id of what it
	/// created).
	pub(crate) fn receipt_with(&self, r: &Receipt, summary: &str, extra: Value) {
		let mut value = json!({
			"ok": true,
			"summary": summary,
			"block": format!("{:?}", r.block),
			"extrinsic": format!("{:?}", r.extrinsic),
			"mortality": r.mortality,
			"events": r.events,
		});
		if let (Some(map), Value::Object(extra)) = (value.as_object_mut(), extra) {
			map.extend(extra);
		}
		self.value(value, || format!("{summary}\n  in block {:?}", r.block));
	}

	/// Whole stake positions emptied: per hotkey, the amounts and transactions it took.
	pub(crate) fn drained(&self, verb: &str, positions: &[(AccountId32, Vec<Drained>)]) {
		let total: u128 = positions.iter().flat_map(|(_, d)| d).map(|d| d.amount).sum();
		let summary = if positions.is_empty() {
			"no stake to remove: the coldkey has no positions".to_string()
		} else {
			format!(
				"{verb} {} AGR in all, {} position(s) emptied",
				format_agr(total),
				positions.len()
			)
		};
		self.value(
			json!({
				"ok": true,
				"summary": summary,
				"positions": positions.iter().map(|(hotkey, d)| json!({
					"hotkey": hotkey.to_string(),
					"amount": agr(d.iter().map(|d| d.amount).sum()),
					"transactions": d.iter().map(|d| json!({
						"amount": agr(d.amount),
						"block": format!("{:?}", d.receipt.block),
						"extrinsic": format!("{:?}", d.receipt.extrinsic),
						"mortality": d.receipt.mortality,
						"events": d.receipt.events,
					})).collect::<Vec<_>>(),
				})).collect::<Vec<_>>(),
			}),
			|| {
				let mut text = summary.clone();
				for (hotkey, d) in positions {
					text.push_str(&format!(
						"\n  {hotkey}: {} AGR in {} transaction(s), last in block {:?}",
						format_agr(d.iter().map(|d| d.amount).sum()),
						d.len(),
						d.last().map(|d| d.receipt.block).unwrap_or_default()
					));
				}
				text
			},
		);
	}

	/// A line for people on stderr (nothing with `--json`).
	pub(crate) fn note(&self, line: &str) {
		if !self.json {
			eprintln!("{line}");
		}
	}

	/// A progress line on a terminal's stderr, erased by [`Out::progress_done`].
	pub(crate) fn progress(&self, line: &str) {
		if self.tty && !self.json {
			eprint!("\r{line}");
			let _ = std::io::stderr().flush();
		}
	}

	/// Erases the progress line.
	pub(crate) fn progress_done(&self) {
		if self.tty && !self.json {
			eprint!("\r\x1b[2K");
		}
	}

	/// Reports a failure (as JSON on stdout with `--json`) and returns its exit code.
	pub(crate) fn fail(&self, code: u8, message: &str) -> ExitCode {
		if self.json {
			println!("{}", json!({ "ok": false, "error": message, "exit_code": code }));
		}
		eprintln!("error: {message}");
		ExitCode::from(code)
	}
}

fn table(header: &[&str]) -> Table {
	let mut t = Table::new();
	t.load_preset(UTF8_FULL_CONDENSED);
	t.set_header(header.iter().copied());
	t
}

pub(crate) fn subnet_json(s: &SubnetInfo<RuntimeAccountId>) -> Value {
	json!({
		"netuid": s.netuid,
		"owner": s.owner.to_string(),
		"registered_at": s.registered_at,
		"neurons": s.neurons,
		"max_uids": s.hyperparams.max_uids,
		"tempo": s.hyperparams.tempo,
		"task": s.hyperparams.task,
		"registration_cost": agr(s.registration_cost),
		"pending_emission": agr(s.pending_emission),
		"last_epoch": s.last_epoch,
		"hyperparams": hyperparams_json(&s.hyperparams),
	})
}

pub(crate) fn subnets_table(subnets: &[SubnetInfo<RuntimeAccountId>]) -> String {
	if subnets.is_empty() {
		return "no subnets yet: create one with `agora subnet create`".into();
	}
	let mut t =
		table(&["netuid", "owner", "neurons", "tempo", "task", "register (AGR)", "pending (AGR)"]);
	for s in subnets {
		t.add_row(vec![
			s.netuid.to_string(),
			s.owner.to_string(),
			format!("{}/{}", s.neurons, s.hyperparams.max_uids),
			s.hyperparams.tempo.to_string(),
			serde_json::to_value(s.hyperparams.task)
				.unwrap_or_default()
				.as_str()
				.unwrap_or("")
				.into(),
			format_agr(s.registration_cost),
			format_agr(s.pending_emission),
		]);
	}
	t.to_string()
}

pub(crate) fn subnet_text(s: &SubnetInfo<RuntimeAccountId>) -> String {
	format!(
		"subnet {}\n  owner              {}\n  created at block   {}\n  neurons            {}/{}\n  registration cost  {} AGR\n  pending emission   {} AGR\n  last epoch         block {}\n\n{}",
		s.netuid,
		s.owner,
		s.registered_at,
		s.neurons,
		s.hyperparams.max_uids,
		format_agr(s.registration_cost),
		format_agr(s.pending_emission),
		s.last_epoch,
		hyperparams_text(&s.hyperparams)
	)
}

pub(crate) fn hyperparams_json(h: &SubnetHyperparams) -> Value {
	let mut v = serde_json::to_value(h).unwrap_or_default();
	v["min_validator_stake"] = agr(h.min_validator_stake);
	v["min_burn"] = agr(h.min_burn);
	v["max_burn"] = agr(h.max_burn);
	v
}

pub(crate) fn hyperparams_text(h: &SubnetHyperparams) -> String {
	let mut t = table(&["hyperparameter", "value"]);
	let rows: Vec<(&str, String)> = vec![
		("tempo", h.tempo.to_string()),
		("max_uids", h.max_uids.to_string()),
		("immunity_period", h.immunity_period.to_string()),
		("min_allowed_weights", h.min_allowed_weights.to_string()),
		("max_allowed_weights", h.max_allowed_weights.to_string()),
		("max_weight_limit", format!("{:.4}", frac(h.max_weight_limit))),
		("weights_rate_limit", h.weights_rate_limit.to_string()),
		("weights_version_key", h.weights_version_key.to_string()),
		("activity_cutoff", h.activity_cutoff.to_string()),
		("kappa", format!("{:.4}", frac(h.kappa))),
		("bonds_moving_average", h.bonds_moving_average.to_string()),
		("max_validators", h.max_validators.to_string()),
		("min_validator_stake", format!("{} AGR", format_agr(h.min_validator_stake))),
		("commit_reveal", h.commit_reveal.to_string()),
		("reveal_period", h.reveal_period.to_string()),
		("min_burn", format!("{} AGR", format_agr(h.min_burn))),
		("max_burn", format!("{} AGR", format_agr(h.max_burn))),
		(
			"task",
			serde_json::to_value(h.task).unwrap_or_default().as_str().unwrap_or("").to_string(),
		),
	];
	for (k, v) in rows {
		t.add_row(vec![k.to_string(), v]);
	}
	t.to_string()
}

pub(crate) fn metagraph_json(m: &Metagraph<RuntimeAccountId>) -> Value {
	json!({
		"netuid": m.subnet.netuid,
		"block": m.block,
		"subnet": subnet_json(&m.subnet),
		"neurons": m.neurons.iter().map(|n| json!({
			"uid": n.uid,
			"hotkey": n.hotkey.to_string(),
			"coldkey": n.coldkey.to_string(),
			"stake": agr(n.stake),
			"rank": frac(n.rank),
			"trust": frac(n.trust),
			"consensus": frac(n.consensus),
			"incentive": frac(n.incentive),
			"dividends": frac(n.dividends),
			"validator_trust": frac(n.validator_trust),
			"validator_permit": n.validator_permit,
			"emission": agr(n.emission),
			"last_update": n.last_update,
			"registered_at": n.registered_at,
			"active": n.active,
			"endpoint": n.endpoint.as_ref().map(|e| serde_json::to_value(e).unwrap_or_default()),
		})).collect::<Vec<_>>(),
	})
}

pub(crate) fn metagraph_table(m: &Metagraph<RuntimeAccountId>) -> String {
	let mut t = table(&[
		"uid",
		"hotkey",
		"stake (AGR)",
		"incentive",
		"dividends",
		"trust",
		"v-trust",
		"permit",
		"emission (AGR)",
		"updated",
		"active",
	]);
	for n in &m.neurons {
		let hk = n.hotkey.to_string();
		t.add_row(vec![
			n.uid.to_string(),
			format!("{}…{}", &hk[..6], &hk[hk.len() - 4..]),
			format_agr(n.stake),
			format!("{:.4}", frac(n.incentive)),
			format!("{:.4}", frac(n.dividends)),
			format!("{:.4}", frac(n.trust)),
			format!("{:.4}", frac(n.validator_trust)),
			if n.validator_permit { "yes" } else { "" }.into(),
			format_agr(n.emission),
			n.last_update.to_string(),
			if n.active { "yes" } else { "no" }.into(),
		]);
	}
	format!(
		"subnet {} at block {} — {} neurons, tempo {}, last epoch at block {}, pending {} AGR\n{t}",
		m.subnet.netuid,
		m.block,
		m.neurons.len(),
		m.subnet.hyperparams.tempo,
		m.subnet.last_epoch,
		format_agr(m.subnet.pending_emission)
	)
}

pub(crate) fn stake_json(positions: &[StakeInfo<RuntimeAccountId>]) -> Value {
	json!(positions
		.iter()
		.map(|p| json!({
			"hotkey": p.hotkey.to_string(),
			"owner": p.owner.to_string(),
			"stake": agr(p.stake),
			"hotkey_stake": agr(p.hotkey_stake),
			"take": f64::from(p.take) / 1e9,
			"netuids": p.netuids,
		}))
		.collect::<Vec<_>>())
}

pub(crate) fn stake_table(
	who: &agora_client::AccountId32,
	positions: &[StakeInfo<RuntimeAccountId>],
) -> String {
	if positions.is_empty() {
		return format!("{who} has no stake");
	}
	let mut t = table(&["hotkey", "stake (AGR)", "hotkey total (AGR)", "take", "subnets"]);
	for p in positions {
		t.add_row(vec![
			p.hotkey.to_string(),
			format_agr(p.stake),
			format_agr(p.hotkey_stake),
			format!("{:.1}%", f64::from(p.take) / 1e7),
			p.netuids.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(","),
		]);
	}
	let total: u128 = positions.iter().map(|p| p.stake).sum();
	format!("{t}\ntotal {} AGR", format_agr(total))
}

pub(crate) fn weights_table(rows: &[(Uid, Vec<(Uid, u16)>)]) -> String {
	if rows.is_empty() {
		return "no weights set".into();
	}
	let mut t = table(&["validator uid", "weights (uid: share)"]);
	for (uid, w) in rows {
		let sum: f64 = w.iter().map(|(_, v)| f64::from(*v)).sum();
		let cells = w
			.iter()
			.map(|(t, v)| format!("{t}: {:.3}", f64::from(*v) / sum.max(1.0)))
			.collect::<Vec<_>>()
			.join("  ");
		t.add_row(vec![uid.to_string(), cells]);
	}
	t.to_string()
}

pub(crate) fn wallets_text(list: &[Value]) -> String {
	let mut out = String::new();
	for w in list {
		out.push_str(&format!(
			"{}\n  coldkey  {}\n",
			w["wallet"].as_str().unwrap_or(""),
			w["coldkey"].as_str().unwrap_or("")
		));
		for h in w["hotkeys"].as_array().into_iter().flatten() {
			out.push_str(&format!(
				"  hotkey   {}  {}\n",
				h["ss58"].as_str().unwrap_or(""),
				h["name"].as_str().unwrap_or("")
			));
		}
	}
	out.trim_end().to_string()
}
