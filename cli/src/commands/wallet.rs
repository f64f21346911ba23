//! `agora wallet`: create, restore, list and show wallets and their keys; swap a hotkey or a
//! coldkey on chain ([`super::swap`]).

use std::path::PathBuf;

use agora_client::wallet::{self, NewKey, Wallet, Zeroizing};
use clap::Subcommand;
use serde_json::json;

use crate::{account::WalletArg, output, output::Out, Ctx, Failure, Result};

#[derive(Subcommand)]
pub(crate) enum WalletCmd {
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
	/// Move a neuron from one of the wallet's hotkeys to a fresh one, at once: its UIDs, stake
	/// pool with every nominator's shares, and take (`Subnets.swap_hotkey`; burns 1 AGR, once
	/// a day per coldkey).
	SwapHotkey(super::swap::SwapHotkeyArgs),
	/// Swap everything the wallet's coldkey holds to a fresh coldkey: announced, disputable
	/// during a delay, then executed by anyone (`Staking.*_coldkey_swap`).
	#[command(subcommand)]
	SwapColdkey(super::swap::SwapColdkeyCmd),
}

pub(crate) async fn run(ctx: &Ctx, out: &Out, cmd: WalletCmd) -> Result<()> {
	match cmd {
		WalletCmd::SwapHotkey(args) => super::swap::swap_hotkey(ctx, out, args).await,
		WalletCmd::SwapColdkey(cmd) => super::swap::swap_coldkey(ctx, out, cmd).await,
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
