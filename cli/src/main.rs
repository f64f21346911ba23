//! `agora`: wallets, balances, transfers, staking, subnets and chain queries for Agora.
//!
//! Exit codes: 0 success, 1 the chain refused or failed (dispatch error, rejected transaction,
//! unreachable node, unknown subnet, no stake to remove, funds or stake found short before
//! signing), 2 usage (bad arguments, bad amount, missing password, wrong password, wallet errors,
//! a corrupt keyfile). The guarantees (what is checked before writing or signing, mortal eras,
//! concurrent submissions, whole stake positions) are in `docs/cli.md`.

mod output;
mod plot;

use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

use agora_client::{
	amount::{format_agr, parse_agr},
	chain::{calls, Receipt},
	wallet::{self, NewKey, Wallet, Zeroizing},
	AccountId32, Client, ClientError, Keypair, Wait,
};
use agora_primitives::{NetUid, SubnetHyperparams, TaskKind, Uid};
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use output::Out;
use serde_json::json;

/// Agora: wallets, staking, subnets and chain queries.
///
/// Amounts are AGR with up to 9 decimals (`1.5`). Keys live in encrypted keyfiles under
/// `~/.agora/wallets/<wallet>/`. Every transaction waits until it is in a block (or finalized,
/// with `--wait finality`) and reports the chain's answer.
#[derive(Parser)]
#[command(name = "agora", version, propagate_version = true)]
struct Cli {
	#[command(flatten)]
	global: Global,
	#[command(subcommand)]
	command: Command,
}

#[derive(Args, Clone)]
struct Global {
	/// Node to talk to.
	#[arg(long, global = true, env = "AGORA_URL", default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// Directory holding the wallets.
	#[arg(long, global = true, env = "AGORA_WALLETS")]
	wallets_dir: Option<PathBuf>,
	/// Machine-readable JSON on stdout; never prompts.
	#[arg(long, global = true)]
	json: bool,
	/// Never prompt: fail when input (a password) is missing.
	#[arg(long, global = true)]
	no_prompt: bool,
	/// Read the keyfile password from the first line of this file.
	#[arg(long, global = true, value_name = "FILE")]
	password_file: Option<PathBuf>,
	/// Read the keyfile password from this inherited file descriptor.
	#[arg(long, global = true, value_name = "FD")]
	password_fd: Option<i32>,
	/// Wait until transactions are in a block (`inclusion`) or finalized (`finality`).
	#[arg(long, global = true, value_enum, default_value_t = WaitArg::Inclusion)]
	wait: WaitArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum WaitArg {
	Inclusion,
	Finality,
}

#[derive(Subcommand)]
enum Command {
	/// Create, list and show wallets and hotkeys.
	#[command(subcommand)]
	Wallet(WalletCmd),
	/// Free, reserved and staked AGR of a wallet's coldkey or an address.
	Balance(Who),
	/// Send AGR from a wallet's coldkey.
	Transfer {
		#[command(flatten)]
		wallet: WalletArg,
		/// Recipient (SS58 address).
		#[arg(long)]
		dest: String,
		/// AGR to send.
		#[arg(long)]
		amount: String,
	},
	/// Stake on hotkeys.
	#[command(subcommand)]
	Stake(StakeCmd),
	/// Create, inspect and tune subnets; register hotkeys on them.
	#[command(subcommand)]
	Subnet(SubnetCmd),
	/// Weights set on a subnet.
	#[command(subcommand)]
	Weights(WeightsCmd),
	/// A subnet's neurons: stake, incentive, dividends, trust, emission.
	Metagraph {
		/// The subnet.
		netuid: NetUid,
		/// Also draw incentive and dividends per UID into this file (.svg or .png).
		#[arg(long, value_name = "FILE.svg|FILE.png")]
		plot: Option<PathBuf>,
	},
	/// Chain head, finality, peers and runtime version.
	#[command(subcommand)]
	Chain(ChainCmd),
	/// Print shell completions.
	Completions {
		/// The shell.
		shell: clap_complete::Shell,
	},
}

#[derive(Args, Clone)]
struct WalletArg {
	/// Wallet name.
	#[arg(long, short = 'w', default_value = "default")]
	wallet: String,
}

#[derive(Args)]
struct Who {
	/// Wallet whose coldkey to look at.
	#[arg(long, short = 'w', conflicts_with = "address")]
	wallet: Option<String>,
	/// Or any SS58 address.
	address: Option<String>,
}

#[derive(Subcommand)]
enum WalletCmd {
	/// Create a wallet: a new coldkey (and optionally a first hotkey).
	Create {
		#[command(flatten)]
		wallet: WalletArg,
		/// Also create this hotkey.
		#[arg(long)]
		hotkey: Option<String>,
		/// Overwrite existing keys.
		#[arg(long)]
		force: bool,
	},
	/// Add a new hotkey to a wallet.
	NewHotkey {
		#[command(flatten)]
		wallet: WalletArg,
		/// Hotkey name.
		#[arg(long)]
		hotkey: String,
		/// Overwrite an existing hotkey.
		#[arg(long)]
		force: bool,
	},
	/// Restore a coldkey (or a hotkey) from its mnemonic.
	Regen {
		#[command(flatten)]
		wallet: WalletArg,
		/// Restore this hotkey instead of the coldkey.
		#[arg(long)]
		hotkey: Option<String>,
		/// Read the mnemonic from this file (else from stdin, up to its end or an empty line); any
		/// whitespace may separate the words.
		#[arg(long, value_name = "FILE", conflicts_with = "uri")]
		mnemonic_file: Option<PathBuf>,
		/// Use a secret URI instead of a mnemonic, e.g. `//Alice` for the dev chain's funded
		/// account, or `<mnemonic>//hard/soft` for a derived key.
		#[arg(long)]
		uri: Option<String>,
		/// Overwrite existing keys.
		#[arg(long)]
		force: bool,
	},
	/// List wallets and their keys (public only).
	List,
	/// Show one wallet's addresses (public only).
	Show {
		#[command(flatten)]
		wallet: WalletArg,
	},
}

#[derive(Args)]
struct StakeAmount {
	#[command(flatten)]
	wallet: WalletArg,
	/// Hotkey: SS58 address or the name of one of the wallet's hotkeys.
	#[arg(long)]
	hotkey: String,
	/// AGR.
	#[arg(long)]
	amount: String,
}

#[derive(Args)]
struct StakeRemove {
	#[command(flatten)]
	wallet: WalletArg,
	/// Hotkey: SS58 address or the name of one of the wallet's hotkeys. With --all and no
	/// --hotkey: every hotkey the coldkey has stake on.
	#[arg(long, required_unless_present = "all")]
	hotkey: Option<String>,
	/// AGR.
	#[arg(long, required_unless_present = "all", conflicts_with = "all")]
	amount: Option<String>,
	/// The whole position, whatever emission adds to it meanwhile (its exact value in the block
	/// the transaction lands in).
	#[arg(long)]
	all: bool,
}

#[derive(Subcommand)]
enum StakeCmd {
	/// Stake AGR from the wallet's coldkey on a hotkey.
	Add(StakeAmount),
	/// Unstake AGR back to the coldkey: an amount, or --all.
	Remove(StakeRemove),
	/// Move stake between hotkeys: an amount, or --all.
	Move {
		#[command(flatten)]
		wallet: WalletArg,
		/// From this hotkey.
		#[arg(long)]
		from: String,
		/// To this hotkey.
		#[arg(long)]
		to: String,
		/// AGR to move.
		#[arg(long, required_unless_present = "all", conflicts_with = "all")]
		amount: Option<String>,
		/// The whole position on --from, whatever emission adds to it meanwhile.
		#[arg(long)]
		all: bool,
	},
	/// Stake positions of a wallet's coldkey or an address.
	List(Who),
}

#[derive(Subcommand)]
enum SubnetCmd {
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
		#[arg(long)]
		sudo: bool,
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
enum Task {
	TextGeneration,
	TextEmbedding,
}

#[derive(Subcommand)]
enum WeightsCmd {
	/// Weights stored on chain for a subnet (every validator, or one UID).
	Show {
		/// The subnet.
		netuid: NetUid,
		/// Only this validator.
		#[arg(long)]
		uid: Option<Uid>,
	},
}

#[derive(Subcommand)]
enum ChainCmd {
	/// Head, finalized block, peers, runtime version.
	Info,
}

/// A failure with its exit code.
struct Failure {
	code: u8,
	message: String,
}

impl Failure {
	fn usage(message: impl std::fmt::Display) -> Self {
		Self { code: 2, message: message.to_string() }
	}
}

impl From<ClientError> for Failure {
	fn from(e: ClientError) -> Self {
		Self { code: 1, message: e.to_string() }
	}
}

impl From<wallet::WalletError> for Failure {
	fn from(e: wallet::WalletError) -> Self {
		Failure::usage(e)
	}
}

impl From<agora_client::amount::BadAmount> for Failure {
	fn from(e: agora_client::amount::BadAmount) -> Self {
		Failure::usage(e)
	}
}

type Result<T> = std::result::Result<T, Failure>;

fn main() -> ExitCode {
	let cli = Cli::parse();
	let out = Out::new(cli.global.json);
	let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
		Ok(r) => r,
		Err(e) => return out.fail(1, &format!("cannot start the async runtime: {e}")),
	};
	match runtime.block_on(run(cli, &out)) {
		Ok(()) => ExitCode::SUCCESS,
		Err(f) => out.fail(f.code, &f.message),
	}
}

struct Ctx {
	global: Global,
}

impl Ctx {
	fn root(&self) -> PathBuf {
		self.global.wallets_dir.clone().unwrap_or_else(wallet::default_root)
	}

	fn wallet(&self, name: &str) -> Result<Wallet> {
		Ok(Wallet::new(&self.root(), name)?)
	}

	fn wait(&self) -> Wait {
		match self.global.wait {
			WaitArg::Inclusion => Wait::Inclusion,
			WaitArg::Finality => Wait::Finality,
		}
	}

	fn can_prompt(&self) -> bool {
		!self.global.json && !self.global.no_prompt && std::io::stdin().is_terminal()
	}

	/// The password: from `--password-file`, `--password-fd`, or a prompt.
	fn password(&self, what: &str, confirm: bool) -> Result<String> {
		if let Some(path) = &self.global.password_file {
			return Ok(wallet::password_from_file(path)?.to_string());
		}
		if let Some(fd) = self.global.password_fd {
			return Ok(wallet::password_from_fd(fd)?.to_string());
		}
		if !self.can_prompt() {
			return Err(Failure::usage(
				"a password is needed: pass --password-file FILE or --password-fd FD",
			));
		}
		let pw = rpassword::prompt_password(format!("Password for {what}: "))
			.map_err(|e| Failure::usage(format!("cannot read the password: {e}")))?;
		if confirm {
			let again = rpassword::prompt_password("Repeat it: ")
				.map_err(|e| Failure::usage(format!("cannot read the password: {e}")))?;
			if again != pw {
				return Err(Failure::usage("the passwords differ"));
			}
		}
		Ok(pw)
	}

	fn coldkey(&self, w: &WalletArg) -> Result<Keypair> {
		let wallet = self.wallet(&w.wallet)?;
		let _ = wallet.coldkey_public()?;
		let pw = self.password(&format!("wallet `{}` coldkey", w.wallet), false)?;
		Ok(wallet.unlock_coldkey(&pw)?)
	}

	/// An SS58 address, or the name of one of the wallet's hotkeys.
	fn hotkey_address(&self, w: &WalletArg, hotkey: &str) -> Result<AccountId32> {
		if let Ok(a) = hotkey.parse::<AccountId32>() {
			return Ok(a);
		}
		let public = self.wallet(&w.wallet)?.hotkey_public(hotkey).map_err(|_| {
			Failure::usage(format!(
				"`{hotkey}` is neither an SS58 address nor a hotkey of wallet `{}`",
				w.wallet
			))
		})?;
		parse_address(&public.ss58)
	}

	async fn client(&self) -> Result<Client> {
		Ok(Client::connect(&self.global.url).await?)
	}

	/// Checks that `signer` can pay for `call` (`spend`, the AGR the call itself takes, plus its
	/// fee and the existential deposit: [`ensure_funds`]), then submits it and reports progress
	/// on stderr while waiting. Every transaction `agora` sends goes through here (or through a
	/// stake drain, checked the same way), so no refusal it can foresee is paid for.
	async fn submit(
		&self,
		client: &Client,
		out: &Out,
		what: &str,
		call: &impl subxt::transactions::Payload,
		signer: &Keypair,
		spend: u128,
	) -> Result<Receipt> {
		ensure_funds(client, signer, call, spend, what).await?;
		let wait = self.wait();
		out.progress(&format!(
			"{what}: waiting for {}…",
			if wait == Wait::Finality { "finality" } else { "inclusion" }
		));
		let receipt = client.submit(call, signer, wait).await;
		out.progress_done();
		Ok(receipt?)
	}
}

/// Refuses, before the transaction is signed for sending, one that `signer` cannot pay for:
/// `spend` (what the call itself takes from the free balance: the AGR sent, staked or burned)
/// plus the fee estimate must leave the existential deposit (or the frozen part, if larger)
/// behind, since the fee payment, `transfer_keep_alive` and the staking and subnets pallets all
/// keep the account alive. Otherwise the chain would refuse the call and still charge its fee.
async fn ensure_funds(
	client: &Client,
	signer: &Keypair,
	call: &impl subxt::transactions::Payload,
	spend: u128,
	what: &str,
) -> Result<()> {
	let address: AccountId32 = signer.public_key().to_account_id();
	let (balance, fee, ed) = tokio::try_join!(
		client.balance(&address),
		client.fee_estimate(call, signer),
		client.balance_constant("Balances", "ExistentialDeposit"),
	)?;
	let frozen = balance.frozen.saturating_sub(balance.reserved);
	let (keep, kept) = if frozen > ed { (frozen, "frozen") } else { (ed, "existential deposit") };
	let need = spend.saturating_add(fee).saturating_add(keep);
	if need <= balance.free {
		return Ok(());
	}
	let spent = if spend > 0 { format!("{} AGR + ", format_agr(spend)) } else { String::new() };
	Err(Failure {
		code: 1,
		message: format!(
			"insufficient balance: {what} needs {spent}{} AGR fee + {} AGR {kept} = {} AGR, \
			 {address} has {} AGR free: {} AGR missing; nothing was signed or sent",
			format_agr(fee),
			format_agr(keep),
			format_agr(need),
			format_agr(balance.free),
			format_agr(need - balance.free),
		),
	})
}

/// Refuses, before signing, a stake change the staking pallet would refuse for its amounts:
/// taking more than a position holds, or leaving (or making) a position under `Staking.MinStake`
/// (other than an empty one). `held` is the position now; the call takes `taken` out of it and
/// puts `added` in.
async fn ensure_stake_rules(
	client: &Client,
	hotkey: &AccountId32,
	held: u128,
	taken: u128,
	added: u128,
) -> Result<()> {
	let refuse = |message: String| Err(Failure { code: 1, message });
	if taken > held {
		return refuse(format!(
			"insufficient stake: the position on {hotkey} holds {} AGR, {} AGR short of {} AGR; \
			 nothing was signed or sent",
			format_agr(held),
			format_agr(taken - held),
			format_agr(taken)
		));
	}
	let after = held - taken + added;
	let min = client.balance_constant("Staking", "MinStake").await?;
	if after != 0 && after < min {
		return refuse(format!(
			"below the minimum stake: the position on {hotkey} would hold {} AGR, {} AGR under \
			 the minimum of {} AGR (stake more, or take all of it); nothing was signed or sent",
			format_agr(after),
			format_agr(min - after),
			format_agr(min)
		));
	}
	Ok(())
}

/// The coldkey's position on `hotkey` now (0 without one).
async fn position(client: &Client, coldkey: &Keypair, hotkey: &AccountId32) -> Result<u128> {
	let coldkey: AccountId32 = coldkey.public_key().to_account_id();
	Ok(client
		.stake_info(&coldkey)
		.await?
		.iter()
		.find(|p| AsRef::<[u8; 32]>::as_ref(&p.hotkey) == &hotkey.0)
		.map_or(0, |p| p.stake))
}

fn parse_address(s: &str) -> Result<AccountId32> {
	s.parse::<AccountId32>().map_err(|_| Failure::usage(format!("`{s}` is not an SS58 address")))
}

fn agr_json(plancks: u128) -> serde_json::Value {
	json!({ "agr": format_agr(plancks), "plancks": plancks })
}

async fn run(cli: Cli, out: &Out) -> Result<()> {
	let ctx = Ctx { global: cli.global };
	match cli.command {
		Command::Wallet(cmd) => wallet_cmd(&ctx, out, cmd),
		Command::Completions { shell } => {
			clap_complete::generate(shell, &mut Cli::command(), "agora", &mut std::io::stdout());
			Ok(())
		},
		Command::Balance(who) => {
			let address = who_address(&ctx, &who)?;
			let client = ctx.client().await?;
			let b = client.balance(&address).await?;
			let staked: u128 = client.stake_info(&address).await?.iter().map(|p| p.stake).sum();
			out.value(
				json!({
					"address": address.to_string(),
					"free": agr_json(b.free),
					"reserved": agr_json(b.reserved),
					"frozen": agr_json(b.frozen),
					"staked": agr_json(staked),
				}),
				|| {
					format!(
						"{address}\n  free     {} AGR\n  reserved {} AGR\n  staked   {} AGR",
						format_agr(b.free),
						format_agr(b.reserved),
						format_agr(staked)
					)
				},
			);
			Ok(())
		},
		Command::Transfer { wallet, dest, amount } => {
			let dest = parse_address(&dest)?;
			let amount = parse_agr(&amount)?;
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			let call = calls::transfer(&dest, amount);
			let r = ctx.submit(&client, out, "the transfer", &call, &signer, amount).await?;
			out.receipt(&r, &format!("sent {} AGR to {dest}", format_agr(amount)));
			Ok(())
		},
		Command::Stake(cmd) => stake_cmd(&ctx, out, cmd).await,
		Command::Subnet(cmd) => subnet_cmd(&ctx, out, cmd).await,
		Command::Weights(WeightsCmd::Show { netuid, uid }) => {
			let client = ctx.client().await?;
			let m = client.metagraph(netuid).await?;
			let uids: Vec<Uid> = match uid {
				Some(u) if u >= m.subnet.neurons => {
					return Err(
						ClientError::NotFound(format!("subnet {netuid} has no UID {u}")).into()
					)
				},
				Some(u) => vec![u],
				None => (0..m.subnet.neurons).collect(),
			};
			let mut rows = Vec::new();
			for u in uids {
				let w = client.weights(netuid, u).await?;
				if !w.is_empty() || uid.is_some() {
					rows.push((u, w));
				}
			}
			out.value(
				json!(rows
					.iter()
					.map(|(u, w)| json!({"uid": u, "weights": w.iter().map(|(t, v)| json!({"uid": t, "weight": v, "share": f64::from(*v) / w.iter().map(|(_, x)| f64::from(*x)).sum::<f64>()})).collect::<Vec<_>>()}))
					.collect::<Vec<_>>()),
				|| output::weights_table(&rows),
			);
			Ok(())
		},
		Command::Metagraph { netuid, plot } => {
			let client = ctx.client().await?;
			let m = client.metagraph(netuid).await?;
			if let Some(path) = plot {
				plot::write(&path, &m).map_err(Failure::usage)?;
				out.note(&format!("plot written to {}", path.display()));
			}
			out.value(output::metagraph_json(&m), || output::metagraph_table(&m));
			Ok(())
		},
		Command::Chain(ChainCmd::Info) => {
			let client = ctx.client().await?;
			let info = client.chain_info().await?;
			out.value(serde_json::to_value(&info).unwrap_or_default(), || {
				format!(
					"chain      {}\nbest       #{}\nfinalized  #{}\npeers      {}\nsyncing    {}\nruntime    spec {} / tx {}",
					info.chain,
					info.best,
					info.finalized,
					info.peers,
					info.syncing,
					info.spec_version,
					info.transaction_version
				)
			});
			Ok(())
		},
	}
}

fn who_address(ctx: &Ctx, who: &Who) -> Result<AccountId32> {
	match (&who.address, &who.wallet) {
		(Some(a), _) => parse_address(a),
		(None, w) => {
			let name = w.clone().unwrap_or_else(|| "default".into());
			parse_address(&ctx.wallet(&name)?.coldkey_public()?.ss58)
		},
	}
}

fn wallet_cmd(ctx: &Ctx, out: &Out, cmd: WalletCmd) -> Result<()> {
	match cmd {
		WalletCmd::Create { wallet, hotkey, force } => {
			// Every name and every existing key is checked before the password is asked for, and
			// the keys are written together or not at all: a refusal leaves the disk as it was.
			let w = ctx.wallet(&wallet.wallet)?;
			w.check_new(None, force)?;
			if let Some(h) = &hotkey {
				w.check_new(Some(h), force)?;
			}
			let pw = ctx.password(&format!("the new wallet `{}`", wallet.wallet), true)?;
			let cold_phrase = Zeroizing::new(wallet::generate_mnemonic().to_string());
			let hot_phrase = Zeroizing::new(wallet::generate_mnemonic().to_string());
			let mut new_keys = vec![NewKey { hotkey: None, secret: &cold_phrase }];
			if let Some(h) = &hotkey {
				new_keys.push(NewKey { hotkey: Some(h), secret: &hot_phrase });
			}
			let stored = w.store_all(&new_keys, &pw, force)?;
			let mut keys = Vec::new();
			let mut text = format!("wallet `{}` created\n", wallet.wallet);
			for (key, new) in stored.iter().zip(&new_keys) {
				let phrase = new.secret;
				match key.kind {
					wallet::KeyKind::Coldkey => {
						keys.push(json!({"kind": "coldkey", "ss58": key.ss58, "mnemonic": phrase}));
						text.push_str(&format!(
							"coldkey {}\n\nWrite down its mnemonic; it is the only way to restore the coldkey:\n\n  {phrase}\n",
							key.ss58
						));
					},
					wallet::KeyKind::Hotkey => {
						keys.push(
							json!({"kind": "hotkey", "name": key.name, "ss58": key.ss58, "mnemonic": phrase}),
						);
						text.push_str(&format!(
							"\nhotkey `{}` {}\n  mnemonic: {phrase}\n",
							key.name, key.ss58
						));
					},
				}
			}
			out.value(json!({"wallet": wallet.wallet, "keys": keys}), || text);
			Ok(())
		},
		WalletCmd::NewHotkey { wallet, hotkey, force } => {
			let w = ctx.wallet(&wallet.wallet)?;
			let _ = w.coldkey_public()?;
			w.check_new(Some(&hotkey), force)?;
			let pw = ctx.password(&format!("hotkey `{hotkey}`"), true)?;
			let m = Zeroizing::new(wallet::generate_mnemonic().to_string());
			let hot = w.store(Some(&hotkey), &m, &pw, force)?;
			out.value(
				json!({"wallet": wallet.wallet, "hotkey": hotkey, "ss58": hot.ss58, "mnemonic": m.as_str()}),
				|| format!("hotkey `{hotkey}` {}\n  mnemonic: {}", hot.ss58, m.as_str()),
			);
			Ok(())
		},
		WalletCmd::Regen { wallet, hotkey, mnemonic_file, uri, force } => {
			let secret = match (uri, mnemonic_file) {
				(Some(uri), _) => wallet::normalize_secret(&uri),
				(None, Some(p)) => wallet::normalize_secret(
					&std::fs::read_to_string(&p)
						.map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?,
				),
				(None, None) => {
					if ctx.can_prompt() {
						eprintln!(
							"Mnemonic (any whitespace between words; end with an empty line):"
						);
					}
					wallet::read_secret(std::io::stdin().lock())?
				},
			};
			if secret.is_empty() {
				return Err(Failure::usage(
					"no mnemonic given: pipe it on stdin, or pass --mnemonic-file FILE or --uri URI",
				));
			}
			// Secret, name and existing key are checked before asking for a password.
			wallet::keypair_from_secret(&secret)?;
			let w = ctx.wallet(&wallet.wallet)?;
			w.check_new(hotkey.as_deref(), force)?;
			let pw = ctx.password("the restored key", true)?;
			let key = w.store(hotkey.as_deref(), &secret, &pw, force)?;
			out.value(
				json!({"wallet": wallet.wallet, "kind": key.kind, "name": key.name, "ss58": key.ss58}),
				|| {
					format!(
						"restored {} `{}` {}",
						if hotkey.is_some() { "hotkey" } else { "coldkey" },
						key.name,
						key.ss58
					)
				},
			);
			Ok(())
		},
		WalletCmd::List => {
			let wallets = Wallet::list(&ctx.root())?;
			let mut list = Vec::new();
			for w in &wallets {
				list.push(json!({
					"wallet": w.name,
					"coldkey": w.coldkey_public()?.ss58,
					"hotkeys": w.hotkeys()?.iter().map(|h| json!({"name": h.name, "ss58": h.ss58})).collect::<Vec<_>>(),
				}));
			}
			out.value(json!(list), || {
				if wallets.is_empty() {
					format!("no wallets under {}", ctx.root().display())
				} else {
					output::wallets_text(&list)
				}
			});
			Ok(())
		},
		WalletCmd::Show { wallet } => {
			let w = ctx.wallet(&wallet.wallet)?;
			let entry = json!({
				"wallet": w.name,
				"path": w.dir.display().to_string(),
				"coldkey": w.coldkey_public()?.ss58,
				"hotkeys": w.hotkeys()?.iter().map(|h| json!({"name": h.name, "ss58": h.ss58})).collect::<Vec<_>>(),
			});
			out.value(entry.clone(), || output::wallets_text(&[entry]));
			Ok(())
		},
	}
}

async fn stake_cmd(ctx: &Ctx, out: &Out, cmd: StakeCmd) -> Result<()> {
	match cmd {
		StakeCmd::Add(StakeAmount { wallet, hotkey, amount }) => {
			let hot = ctx.hotkey_address(&wallet, &hotkey)?;
			let amount = parse_agr(&amount)?;
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			let held = position(&client, &signer, &hot).await?;
			ensure_stake_rules(&client, &hot, held, 0, amount).await?;
			let call = calls::add_stake(&hot, amount);
			let r = ctx.submit(&client, out, "staking", &call, &signer, amount).await?;
			out.receipt(&r, &format!("staked {} AGR on {hot}", format_agr(amount)));
			Ok(())
		},
		StakeCmd::Remove(StakeRemove { wallet, hotkey, amount: Some(amount), all: false }) => {
			let hotkey = hotkey.ok_or_else(|| Failure::usage("--hotkey is needed"))?;
			let hot = ctx.hotkey_address(&wallet, &hotkey)?;
			let amount = parse_agr(&amount)?;
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			let held = position(&client, &signer, &hot).await?;
			ensure_stake_rules(&client, &hot, held, amount, 0).await?;
			let call = calls::remove_stake(&hot, amount);
			let r = ctx.submit(&client, out, "unstaking", &call, &signer, 0).await?;
			out.receipt(&r, &format!("unstaked {} AGR from {hot}", format_agr(amount)));
			Ok(())
		},
		StakeCmd::Remove(StakeRemove { wallet, hotkey, .. }) => {
			// Every position of the coldkey, or the one on --hotkey.
			let every = hotkey.is_none();
			let hot = hotkey.map(|h| ctx.hotkey_address(&wallet, &h)).transpose()?;
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			let hotkeys = match hot {
				Some(h) => vec![h],
				None => {
					let coldkey: AccountId32 = signer.public_key().to_account_id();
					client
						.stake_info(&coldkey)
						.await?
						.iter()
						.map(|p| AccountId32(*AsRef::<[u8; 32]>::as_ref(&p.hotkey)))
						.collect()
				},
			};
			let mut drained = Vec::new();
			for h in &hotkeys {
				// Its fee, at least, must be payable (no position: the drain says so).
				let held = position(&client, &signer, h).await?;
				if held > 0 {
					let call = calls::remove_stake(h, held);
					ensure_funds(&client, &signer, &call, 0, "unstaking").await?;
				}
				out.progress(&format!("unstaking everything from {h}…"));
				let d = client
					.drain_stake(h, &signer, ctx.wait(), |amount| calls::remove_stake(h, amount))
					.await;
				out.progress_done();
				match d {
					Ok(d) => drained.push((*h, d)),
					// Gone since it was listed: what --all wants.
					Err(ClientError::NotFound(_)) if every => {},
					Err(e) => {
						let done: Vec<String> =
							drained.iter().map(|(h, _)| h.to_string()).collect();
						return Err(Failure {
							code: 1,
							message: if done.is_empty() {
								e.to_string()
							} else {
								format!("{e} (already unstaked in full: {})", done.join(", "))
							},
						});
					},
				}
			}
			out.drained("unstaked", &drained);
			Ok(())
		},
		StakeCmd::Move { wallet, from, to, amount, all } => {
			let (from, to) =
				(ctx.hotkey_address(&wallet, &from)?, ctx.hotkey_address(&wallet, &to)?);
			let amount = match (amount, all) {
				(Some(a), false) => Some(parse_agr(&a)?),
				_ => None,
			};
			let client = ctx.client().await?;
			let signer = ctx.coldkey(&wallet)?;
			let held = position(&client, &signer, &from).await?;
			if let Some(amount) = amount {
				ensure_stake_rules(&client, &from, held, amount, 0).await?;
				let to_held = position(&client, &signer, &to).await?;
				ensure_stake_rules(&client, &to, to_held, 0, amount).await?;
			}
			let call = calls::move_stake(&from, &to, amount.unwrap_or(held));
			let Some(amount) = amount else {
				ensure_funds(&client, &signer, &call, 0, "moving stake").await?;
				out.progress(&format!("moving everything from {from} to {to}…"));
				let d = client
					.drain_stake(&from, &signer, ctx.wait(), |amount| {
						calls::move_stake(&from, &to, amount)
					})
					.await;
				out.progress_done();
				out.drained(&format!("moved to {to}:"), &[(from, d?)]);
				return Ok(());
			};
			let r = ctx.submit(&client, out, "moving stake", &call, &signer, 0).await?;
			out.receipt(
				&r,
				&format!("moved {} AGR of stake from {from} to {to}", format_agr(amount)),
			);
			Ok(())
		},
		StakeCmd::List(who) => {
			let address = who_address(ctx, &who)?;
			let client = ctx.client().await?;
			let positions = client.stake_info(&address).await?;
			out.value(output::stake_json(&positions), || output::stake_table(&address, &positions));
			Ok(())
		},
	}
}

async fn subnet_cmd(ctx: &Ctx, out: &Out, cmd: SubnetCmd) -> Result<()> {
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
		SubnetCmd::SetHyperparam { wallet, netuid, sudo, settings } => {
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
			if let Some(field) = subnet.hyperparams.root_only_change(&hp).filter(|_| !sudo) {
				return Err(Failure::usage(format!(
					"only root may change {field:?} (a subnet owner may not): pass --sudo and \
					 sign with the chain's sudo key"
				)));
			}
			let signer = ctx.coldkey(&wallet)?;
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
