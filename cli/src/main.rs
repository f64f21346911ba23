//! `agora`: wallets, balances, transfers, staking, subnets, payment channels (and a signing proxy
//! to a gateway), governance, chain queries and audit-log checks for Agora.
//!
//! Exit codes: 0 success, 1 the chain refused or failed (dispatch error, rejected transaction,
//! unreachable node, unknown subnet, no stake to remove, funds or stake found short before
//! signing), 2 usage (bad arguments, bad amount, missing password, wrong password, wallet errors,
//! a corrupt keyfile); `audit verify` exits 1 on an inconsistent round and 2 on an unreadable
//! log. The guarantees (what is checked before writing or signing, mortal eras, concurrent
//! submissions, whole stake positions) are in `docs/cli.md`.

mod account;
mod commands;
mod funds;
mod output;
mod plot;

use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

use account::{parse_address, WalletArg};
use agora_client::{
	chain::Receipt,
	wallet::{self, Wallet},
	AccountId32, Client, ClientError, Keypair, Wait,
};
use clap::{
	parser::ValueSource, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum,
};
use commands::{
	audit::AuditCmd, balance, chain, chain::ChainCmd, metagraph, stake, stake::StakeCmd, subnet,
	subnet::SubnetCmd, wallet::WalletCmd, weights, weights::WeightsCmd,
};
use funds::ensure_funds;
use output::Out;

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
	/// Whether `--url` (or AGORA_URL) was given rather than defaulted: `audit verify` reads the
	/// chain only then.
	#[arg(skip)]
	url_given: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum WaitArg {
	Inclusion,
	Finality,
}

#[derive(Subcommand)]
enum Command {
	/// Create, list and show wallets and hotkeys; swap a hotkey or a coldkey.
	#[command(subcommand)]
	Wallet(WalletCmd),
	/// Free, reserved and staked AGR of a wallet's coldkey or an address.
	Balance(account::Who),
	/// Send AGR from a wallet's coldkey.
	Transfer(balance::TransferArgs),
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
	Metagraph(metagraph::MetagraphArgs),
	/// Chain head, finality, peers and runtime version.
	#[command(subcommand)]
	Chain(ChainCmd),
	/// Payment channels to gateways: open, top up, extend, show, list, close.
	#[command(subcommand)]
	Channel(commands::channel::ChannelCmd),
	/// Use a gateway: a local OpenAI-compatible proxy that pays it per request from a channel.
	#[command(subcommand)]
	Gateway(commands::gateway::GatewayCmd),
	/// Let another account act for a coldkey within a proxy type (staking only, no transfers,
	/// or anything); list and remove proxies.
	#[command(subcommand)]
	Proxy(commands::proxy::ProxyCmd),
	/// On-chain governance: referenda (list, propose, vote), delegation, unlocking, the senate.
	#[command(subcommand)]
	Gov(commands::gov::GovCmd),
	/// Check a validator's signed audit log, offline or against the chain.
	#[command(subcommand)]
	Audit(AuditCmd),
	/// Print shell completions.
	Completions {
		/// The shell.
		shell: clap_complete::Shell,
	},
}

/// A failure with its exit code.
pub(crate) struct Failure {
	pub(crate) code: u8,
	pub(crate) message: String,
}

impl Failure {
	pub(crate) fn usage(message: impl std::fmt::Display) -> Self {
		Self { code: 2, message: message.to_string() }
	}

	/// A refusal the CLI foresaw before signing (exit code 1): nothing was signed or sent.
	pub(crate) fn refused(message: impl std::fmt::Display) -> Self {
		Self { code: 1, message: format!("{message}; nothing was signed or sent") }
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

pub(crate) type Result<T> = std::result::Result<T, Failure>;

fn main() -> ExitCode {
	let matches = Cli::command().get_matches();
	let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
	cli.global.url_given = matches!(
		matches.value_source("url"),
		Some(ValueSource::CommandLine | ValueSource::EnvVariable)
	);
	let out = Out::new(cli.global.json);
	let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
		Ok(r) => r,
		Err(e) => return out.fail(1, &format!("cannot start the async runtime: {e}")),
	};
	match runtime.block_on(run(cli, &out)) {
		Ok(()) => ExitCode::SUCCESS,
		// Already reported on stdout (e.g. `audit verify --json` finding inconsistencies).
		Err(f) if f.message.is_empty() => ExitCode::from(f.code),
		Err(f) => out.fail(f.code, &f.message),
	}
}

pub(crate) struct Ctx {
	global: Global,
}

impl Ctx {
	pub(crate) fn root(&self) -> PathBuf {
		self.global.wallets_dir.clone().unwrap_or_else(wallet::default_root)
	}

	pub(crate) fn wallet(&self, name: &str) -> Result<Wallet> {
		Ok(Wallet::new(&self.root(), name)?)
	}

	pub(crate) fn wait(&self) -> Wait {
		match self.global.wait {
			WaitArg::Inclusion => Wait::Inclusion,
			WaitArg::Finality => Wait::Finality,
		}
	}

	pub(crate) fn can_prompt(&self) -> bool {
		!self.global.json && !self.global.no_prompt && std::io::stdin().is_terminal()
	}

	/// The password: from `--password-file`, `--password-fd`, or a prompt.
	pub(crate) fn password(&self, what: &str, confirm: bool) -> Result<String> {
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

	pub(crate) fn coldkey(&self, w: &WalletArg) -> Result<Keypair> {
		let wallet = self.wallet(&w.wallet)?;
		let _ = wallet.coldkey_public()?;
		let pw = self.password(&format!("wallet `{}` coldkey", w.wallet), false)?;
		Ok(wallet.unlock_coldkey(&pw)?)
	}

	/// An SS58 address, or the name of one of the wallet's hotkeys.
	pub(crate) fn hotkey_address(&self, w: &WalletArg, hotkey: &str) -> Result<AccountId32> {
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

	/// Whether a node was named (`--url` or AGORA_URL) rather than the default assumed.
	pub(crate) fn url_given(&self) -> bool {
		self.global.url_given
	}

	pub(crate) async fn client(&self) -> Result<Client> {
		Ok(Client::connect(&self.global.url).await?)
	}

	/// Checks that `signer` can pay for `call` (`spend`, the AGR the call itself takes, plus its
	/// fee and the existential deposit: [`ensure_funds`]), then submits it and reports progress
	/// on stderr while waiting. Every transaction `agora` sends goes through here (or through a
	/// stake drain, checked the same way), so no refusal it can foresee is paid for.
	pub(crate) async fn submit(
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

async fn run(cli: Cli, out: &Out) -> Result<()> {
	let ctx = Ctx { global: cli.global };
	match cli.command {
		Command::Wallet(cmd) => commands::wallet::run(&ctx, out, cmd).await,
		Command::Completions { shell } => {
			clap_complete::generate(shell, &mut Cli::command(), "agora", &mut std::io::stdout());
			Ok(())
		},
		Command::Balance(who) => balance::show(&ctx, out, who).await,
		Command::Transfer(args) => balance::transfer(&ctx, out, args).await,
		Command::Stake(cmd) => stake::run(&ctx, out, cmd).await,
		Command::Subnet(cmd) => subnet::run(&ctx, out, cmd).await,
		Command::Weights(cmd) => weights::run(&ctx, out, cmd).await,
		Command::Metagraph(args) => metagraph::run(&ctx, out, args).await,
		Command::Chain(cmd) => chain::run(&ctx, out, cmd).await,
		Command::Channel(cmd) => commands::channel::run(&ctx, out, cmd).await,
		Command::Gateway(cmd) => commands::gateway::run(&ctx, out, cmd).await,
		Command::Proxy(cmd) => commands::proxy::run(&ctx, out, cmd).await,
		Command::Gov(cmd) => commands::gov::run(&ctx, out, cmd).await,
		Command::Audit(cmd) => commands::audit::run(&ctx, out, cmd).await,
	}
}
