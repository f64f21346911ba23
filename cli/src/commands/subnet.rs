//! `agora subnet`: create, inspect and tune subnets; register hotkeys on them.

use agora_client::{
	amount::{format_agr, parse_agr},
	chain::calls,
};
use agora_primitives::{NetUid, SubnetHyperparams, TaskKind};
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use subxt::ext::codec::Encode;

use crate::{
	account::{parse_address, WalletArg},
	output,
	output::Out,
	Ctx, Failure, Result,
};

#[derive(Subcommand)]
pub(crate) enum SubnetCmd {
	/// Create a subnet owned by the wallet's coldkey (burns the creation cost).
	Create {
		#[command(flatten)]
		wallet: WalletArg,
		/// What its miners serve.
		#[arg(long, value_enum, default_value_t = Task::TextGeneration)]
		task: Task,
		/// Refuse if the cost is above this many AGR (default: the current cost).
		#[arg(long)]
		max_cost: Option<String>,
	},
	/// Every subnet.
	List,
	/// One subnet.
	Show {
		/// The subnet.
		netuid: NetUid,
	},
	/// A subnet's hyperparameters.
	Hyperparams {
		/// The subnet.
		netuid: NetUid,
	},
	/// Change one hyperparameter (owner only; rate-limited).
	SetHyperparam {
		#[command(flatten)]
		wallet: WalletArg,
		/// The subnet.
		netuid: NetUid,
		/// Submit as root through `Sudo.sudo`, signed by the wallet's coldkey (the chain's sudo
		/// key, e.g. Alice on a dev chain): needed for root's hyperparameters (tempo, max_uids,
		/// kappa, max_validators, min_validator_stake, weights_rate_limit, activity_cutoff).
		#[arg(long, conflicts_with = "referendum")]
		sudo: bool,
		/// Propose the change as a referendum on the `root` track instead, signed by the
		/// wallet's coldkey (any account; it holds the deposits, see `agora gov propose`): the
		/// way to root's hyperparameters on a chain without sudo. Enacted as Root if it passes.
		#[arg(long)]
		referendum: bool,
		/// NAME VALUE pairs, all set in one transaction (e.g. `immunity_period 500
		/// max_allowed_weights 64`): names as `subnet hyperparams` shows them; fractions as 0..1
		/// for kappa and max_weight_limit, AGR for burns and min_validator_stake.
		#[arg(value_name = "NAME VALUE", num_args = 2.., required = true)]
		settings: Vec<String>,
	},
	/// Register a wallet hotkey on a subnet, burning the registration price.
	Register {
		#[command(flatten)]
		wallet: WalletArg,
		/// The subnet.
		netuid: NetUid,
		/// The wallet's hotkey to register.
		#[arg(long)]
		hotkey: String,
		/// Refuse if the price is above this many AGR (default: the current price).
		#[arg(long)]
		max_cost: Option<String>,
	},
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Task {
	TextGeneration,
	TextEmbedding,
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: SubnetCmd) -> Result<()> {
	match cmd {
		SubnetCmd::Create { wallet, task, max_cost } => {
			let client = ctx.client().await?;
			let cost = client.subnet_creation_cost().await?;
			let max_cost = match max_cost {
				Some(m) => parse_agr(&m)?,
				None => cost,
			};
			if cost > max_cost {
				return Err(Failure {
					code: 1,
					message: format!(
						"creating a subnet costs {} AGR now, above --max-cost {} AGR",
						format_agr(cost),
						format_agr(max_cost)
					),
				});
			}
			let task = match task {
				Task::TextGeneration => TaskKind::TextGeneration,
				Task::TextEmbedding => TaskKind::TextEmbedding,
			};
			let signer = ctx.coldkey(&wallet)?;
			let call = calls::create_subnet(task, max_cost);
			out.note(&format!("creating a subnet burns {} AGR", format_agr(cost)));
			let r = ctx.submit(&client, out, "creating a subnet", &call, &signer, cost).await?;
			let netuid = r
				.events
				.iter()
				.find(|e| e.pallet == "Subnets" && e.name == "SubnetCreated")
				.map(|e| e.fields.clone());
			out.receipt(&r, &format!("subnet created: {}", netuid.unwrap_or_default()));
			Ok(())
		},
		SubnetCmd::List => {
			let client = ctx.client().await?;
			let subnets = client.subnets().await?;
			out.value(json!(subnets.iter().map(output::subnet_json).collect::<Vec<_>>()), || {
				output::subnets_table(&subnets)
			});
			Ok(())
		},
		SubnetCmd::Show { netuid } => {
			let client = ctx.client().await?;
			let s = client.subnet(netuid).await?;
			out.value(output::subnet_json(&s), || output::subnet_text(&s));
			Ok(())
		},
		SubnetCmd::Hyperparams { netuid } => {
			let client = ctx.client().await?;
			let s = client.subnet(netuid).await?;
			out.value(output::hyperparams_json(&s.hyperparams), || {
				output::hyperparams_text(&s.hyperparams)
			});
			Ok(())
		},
		SubnetCmd::SetHyperparam { wallet, netuid, sudo, referendum, settings } => {
			if settings.len() % 2 != 0 {
				return Err(Failure::usage(format!(
					"give NAME VALUE pairs; `{}` has no value",
					settings.last().map(String::as_str).unwrap_or_default()
				)));
			}
			let client = ctx.client().await?;
			let subnet = client.subnet(netuid).await?;
			let mut hp = subnet.hyperparams.clone();
			for pair in settings.chunks(2) {
				set_field(&mut hp, &pair[0], &pair[1])?;
			}
			let what = settings
				.chunks(2)
				.map(|p| format!("{} = {}", p[0], p[1]))
				.collect::<Vec<_>>()
				.join(", ");
			hp.validate(u16::MAX, subnet.neurons)
				.map_err(|e| Failure::usage(format!("{what} is out of bounds: {e:?}")))?;
			if let Some(field) =
				subnet.hyperparams.root_only_change(&hp).filter(|_| !sudo && !referendum)
			{
				return Err(Failure::usage(format!(
					"only root may change {field:?} (a subnet owner may not): pass --sudo and \
					 sign with the chain's sudo key, or --referendum to propose it to the token \
					 holders as a root referendum"
				)));
			}
			let signer = ctx.coldkey(&wallet)?;
			if referendum {
				let call = client
					.encode_call("Subnets", "set_hyperparams", &(netuid, &hp).encode())
					.await?;
				return super::gov::propose(ctx, out, &client, &signer, call, true).await;
			}
			let r = if sudo {
				let call = client.sudo_set_hyperparams(netuid, &hp).await?;
				ctx.submit(&client, out, "setting hyperparameters as root", &call, &signer, 0)
					.await?
			} else {
				let call = calls::set_hyperparams(netuid, &hp);
				ctx.submit(&client, out, "setting hyperparameters", &call, &signer, 0).await?
			};
			out.receipt(&r, &format!("subnet {netuid}: {what}"));
			Ok(())
		},
		SubnetCmd::Register { wallet, netuid, hotkey, max_cost } => {
			let w = ctx.wallet(&wallet.wallet)?;
			let hot = w.hotkey_public(&hotkey)?;
			let hot = parse_address(&hot.ss58)?;
			let client = ctx.client().await?;
			let cost = client.registration_cost(netuid).await?;
			let max_cost = match max_cost {
				Some(m) => parse_agr(&m)?,
				None => cost,
			};
			out.note(&format!(
				"registration on subnet {netuid} costs {} AGR now",
				format_agr(cost)
			));
			if cost > max_cost {
				return Err(Failure {
					code: 1,
					message: format!(
						"registration on subnet {netuid} costs {} AGR now, above --max-cost {} AGR; nothing was sent",
						format_agr(cost),
						format_agr(max_cost)
					),
				});
			}
			let coldkey = parse_address(&w.coldkey_public()?.ss58)?;
			super::swap::ensure_not_frozen(&client, &coldkey, "registering a hotkey").await?;
			let signer = ctx.coldkey(&wallet)?;
			let call = calls::register(netuid, &hot, max_cost);
			let r = ctx.submit(&client, out, "the registration", &call, &signer, cost).await?;
			let uid = client
				.metagraph(netuid)
				.await?
				.neurons
				.iter()
				.find(|n| AsRef::<[u8; 32]>::as_ref(&n.hotkey) == &hot.0)
				.map(|n| n.uid);
			out.receipt(
				&r,
				&format!(
					"hotkey `{hotkey}` registered on subnet {netuid} as UID {}",
					uid.map(|u| u.to_string()).unwrap_or_else(|| "?".into())
				),
			);
			Ok(())
		},
	}
}

/// Sets one hyperparameter by its name from text.
fn set_field(hp: &mut SubnetHyperparams, name: &str, value: &str) -> Result<()> {
	let bad = || Failure::usage(format!("`{value}` is not a valid value for {name}"));
	let int = |v: &str| v.trim().parse::<u64>().map_err(|_| bad());
	let frac = |v: &str| -> Result<u16> {
		let f: f64 = v.trim().parse().map_err(|_| bad())?;
		if !(0.0..=1.0).contains(&f) {
			return Err(bad());
		}
		Ok((f * f64::from(u16::MAX)).round() as u16)
	};
	let u16v = |v: &str| u16::try_from(int(v)?).map_err(|_| bad());
	let u32v = |v: &str| u32::try_from(int(v)?).map_err(|_| bad());
	match name {
		"tempo" => hp.tempo = u16v(value)?,
		"max_uids" => hp.max_uids = u16v(value)?,
		"immunity_period" => hp.immunity_period = u32v(value)?,
		"min_allowed_weights" => hp.min_allowed_weights = u16v(value)?,
		"max_allowed_weights" => hp.max_allowed_weights = u16v(value)?,
		"max_weight_limit" => hp.max_weight_limit = frac(value)?,
		"weights_rate_limit" => hp.weights_rate_limit = u32v(value)?,
		"weights_version_key" => hp.weights_version_key = int(value)?,
		"activity_cutoff" => hp.activity_cutoff = u32v(value)?,
		"kappa" => hp.kappa = frac(value)?,
		"bonds_moving_average" => hp.bonds_moving_average = u32v(value)?,
		"max_validators" => hp.max_validators = u16v(value)?,
		"min_validator_stake" => hp.min_validator_stake = parse_agr(value)?,
		"commit_reveal" => {
			hp.commit_reveal = match value.trim() {
				"true" | "on" | "1" => true,
				"false" | "off" | "0" => false,
				_ => return Err(bad()),
			}
		},
		"reveal_period" => hp.reveal_period = u16v(value)?,
		"min_burn" => hp.min_burn = parse_agr(value)?,
		"max_burn" => hp.max_burn = parse_agr(value)?,
		"task" => {
			hp.task = match value.trim() {
				"text-generation" => TaskKind::TextGeneration,
				"text-embedding" => TaskKind::TextEmbedding,
				_ => return Err(bad()),
			}
		},
		_ => {
			return Err(Failure::usage(format!(
				"no hyperparameter `{name}`; see `agora subnet hyperparams NETUID`"
			)))
		},
	}
	Ok(())
}
