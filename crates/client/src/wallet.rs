//! Wallets: a coldkey and any number of hotkeys, sr25519 keys from BIP39 mnemonics, kept in
//! encrypted keyfiles.
//!
//! ## Layout
//!
//! ```text
//! <root>/<wallet>/coldkey              encrypted coldkey
//! <root>/<wallet>/hotkeys/<hotkey>     encrypted hotkey
//! ```
//!
//! `<root>` is `~/.agora/wallets` unless given. Directories are created mode 0700, keyfiles
//! written atomically (temporary file, fsync, rename) with mode 0600, and never overwritten
//! unless the caller forces it.
//!
//! ## Keyfile
//!
//! JSON, so a keyfile says what it is without a password:
//!
//! ```json
//! {"version":1,"kind":"coldkey","ss58":"5…","public":"0x…",
//!  "kdf":{"name":"scrypt","log_n":15,"r":8,"p":1,"salt":"<16 random bytes, hex>"},
//!  "cipher":{"name":"chacha20poly1305","nonce":"<12 random bytes, hex>"},
//!  "ciphertext":"<the mnemonic, encrypted, hex>"}
//! ```
//!
//! The key is scrypt(password, salt) with a **fresh random salt per file**; the mnemonic is
//! sealed with ChaCha20-Poly1305 under a fresh random nonce, with the kind and public key as
//! associated data, so neither the ciphertext nor the public part can be swapped unnoticed. A
//! wrong password fails authentication and is reported as such.

use std::{
	fs,
	io::Write,
	path::{Path, PathBuf},
};

use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	ChaCha20Poly1305, Key, Nonce,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use subxt::utils::AccountId32;
use subxt_signer::{bip39::Mnemonic, sr25519::Keypair};
use zeroize::Zeroizing;

/// What can go wrong with a wallet.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
	/// The keyfile exists and the caller did not force.
	#[error("{0} already exists; pass --force to overwrite it")]
	Exists(PathBuf),
	/// The keyfile is not there.
	#[error("no key at {0}")]
	Missing(PathBuf),
	/// Decryption failed authentication.
	#[error("wrong password for {0}")]
	WrongPassword(PathBuf),
	/// The keyfile cannot be parsed or uses an unknown scheme.
	#[error("{path} is not a valid Agora keyfile: {why}")]
	Corrupt {
		/// The file.
		path: PathBuf,
		/// What is wrong with it.
		why: String,
	},
	/// The mnemonic is not valid BIP39.
	#[error("invalid mnemonic: {0}")]
	Mnemonic(String),
	/// A wallet or hotkey name with characters other than letters, digits, `-`, `_`, `.`.
	#[error("invalid name `{0}`: use letters, digits, '-', '_' or '.'")]
	BadName(String),
	/// The password is empty.
	#[error("the password is empty")]
	EmptyPassword,
	/// A file-system error.
	#[error("{path}: {source}")]
	Io {
		/// The file.
		path: PathBuf,
		/// The error.
		source: std::io::Error,
	},
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WalletError + '_ {
	move |source| WalletError::Io { path: path.to_path_buf(), source }
}

/// Which key a keyfile holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
	/// Holds funds and stake.
	Coldkey,
	/// A neuron's identity.
	Hotkey,
}

/// scrypt cost: 2^15 × 8 × 128 bytes = 32 MiB, ~0.1 s.
pub const SCRYPT_LOG_N: u8 = 15;

#[derive(Serialize, Deserialize)]
struct Kdf {
	name: String,
	log_n: u8,
	r: u32,
	p: u32,
	salt: String,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
	name: String,
	nonce: String,
}

/// A keyfile as stored.
#[derive(Serialize, Deserialize)]
struct Keyfile {
	version: u32,
	kind: KeyKind,
	ss58: String,
	public: String,
	kdf: Kdf,
	cipher: Cipher,
	ciphertext: String,
}

/// A key's public side, readable without a password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PublicKey {
	/// Coldkey or hotkey.
	pub kind: KeyKind,
	/// Its name (`coldkey` or the hotkey's name).
	pub name: String,
	/// SS58 address (prefix 42).
	pub ss58: String,
	/// The keyfile.
	pub path: PathBuf,
}

/// The default wallet root: `~/.agora/wallets`.
pub fn default_root() -> PathBuf {
	dirs::home_dir().unwrap_or_else(|| PathBuf::from(".")).join(".agora").join("wallets")
}

fn check_name(name: &str) -> Result<(), WalletError> {
	let ok = !name.is_empty()
		&& name != "."
		&& name != ".."
		&& name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
	if ok {
		Ok(())
	} else {
		Err(WalletError::BadName(name.to_string()))
	}
}

/// A fresh 12-word mnemonic from the OS's randomness.
pub fn generate_mnemonic() -> Mnemonic {
	let mut entropy = Zeroizing::new([0u8; 16]);
	rand::rngs::OsRng.fill_bytes(entropy.as_mut());
	Mnemonic::from_entropy(entropy.as_ref()).expect("16 bytes is a valid entropy length")
}

/// Parses a BIP39 mnemonic.
pub fn parse_mnemonic(phrase: &str) -> Result<Mnemonic, WalletError> {
	Mnemonic::parse(phrase.trim()).map_err(|e| WalletError::Mnemonic(e.to_string()))
}

/// The sr25519 keypair of a mnemonic (no derivation path, no BIP39 password).
pub fn keypair(mnemonic: &Mnemonic) -> Result<Keypair, WalletError> {
	Keypair::from_phrase(mnemonic, None).map_err(|e| WalletError::Mnemonic(e.to_string()))
}

/// The keypair of a stored secret: a BIP39 mnemonic, or a secret URI such as `//Alice` or
/// `<mnemonic>//hard/soft` (for dev keys and derived keys).
pub fn keypair_from_secret(secret: &str) -> Result<Keypair, WalletError> {
	let secret = secret.trim();
	if let Ok(m) = Mnemonic::parse(secret) {
		return keypair(&m);
	}
	let uri: subxt_signer::SecretUri = secret
		.parse()
		.map_err(|e: subxt_signer::SecretUriError| WalletError::Mnemonic(e.to_string()))?;
	Keypair::from_uri(&uri).map_err(|e| WalletError::Mnemonic(e.to_string()))
}

/// The SS58 address of a keypair.
pub fn ss58(keypair: &Keypair) -> String {
	AccountId32::from(keypair.public_key().0).to_string()
}

fn scrypt_key(
	password: &str,
	salt: &[u8],
	log_n: u8,
	r: u32,
	p: u32,
) -> Result<Zeroizing<[u8; 32]>, String> {
	let params = scrypt::Params::new(log_n, r, p, 32).map_err(|e| e.to_string())?;
	let mut key = Zeroizing::new([0u8; 32]);
	scrypt::scrypt(password.as_bytes(), salt, &params, key.as_mut()).map_err(|e| e.to_string())?;
	Ok(key)
}

fn aad(kind: KeyKind, public: &str) -> Vec<u8> {
	format!("agora-keyfile-v1:{}:{public}", serde_json::to_string(&kind).unwrap_or_default())
		.into_bytes()
}

/// Encrypts `secret` (a mnemonic or secret URI) for `kind` under `password` into a keyfile's
/// JSON text.
pub fn seal(kind: KeyKind, secret: &str, password: &str, log_n: u8) -> Result<String, WalletError> {
	if password.is_empty() {
		return Err(WalletError::EmptyPassword);
	}
	let pair = keypair_from_secret(secret)?;
	let public = format!("0x{}", hex::encode(pair.public_key().0));
	let (mut salt, mut nonce) = ([0u8; 16], [0u8; 12]);
	rand::rngs::OsRng.fill_bytes(&mut salt);
	rand::rngs::OsRng.fill_bytes(&mut nonce);
	let key = scrypt_key(password, &salt, log_n, 8, 1)
		.map_err(|why| WalletError::Corrupt { path: PathBuf::new(), why })?;
	let phrase = Zeroizing::new(secret.trim().to_string());
	let cipher = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
	let aad = aad(kind, &public);
	let ciphertext = cipher
		.encrypt(Nonce::from_slice(&nonce), Payload { msg: phrase.as_bytes(), aad: &aad })
		.map_err(|_| WalletError::Corrupt {
			path: PathBuf::new(),
			why: "encryption failed".into(),
		})?;
	let file = Keyfile {
		version: 1,
		kind,
		ss58: ss58(&pair),
		public,
		kdf: Kdf { name: "scrypt".into(), log_n, r: 8, p: 1, salt: hex::encode(salt) },
		cipher: Cipher { name: "chacha20poly1305".into(), nonce: hex::encode(nonce) },
		ciphertext: hex::encode(ciphertext),
	};
	Ok(serde_json::to_string_pretty(&file).expect("keyfile serializes"))
}

fn read_keyfile(path: &Path) -> Result<Keyfile, WalletError> {
	let text = fs::read_to_string(path).map_err(|e| {
		if e.kind() == std::io::ErrorKind::NotFound {
			WalletError::Missing(path.to_path_buf())
		} else {
			WalletError::Io { path: path.to_path_buf(), source: e }
		}
	})?;
	let file: Keyfile = serde_json::from_str(&text)
		.map_err(|e| WalletError::Corrupt { path: path.to_path_buf(), why: e.to_string() })?;
	let corrupt = |why: &str| WalletError::Corrupt { path: path.to_path_buf(), why: why.into() };
	if file.version != 1 {
		return Err(corrupt("unknown version"));
	}
	if file.kdf.name != "scrypt" || file.cipher.name != "chacha20poly1305" {
		return Err(corrupt("unknown kdf or cipher"));
	}
	Ok(file)
}

/// Decrypts the keyfile at `path` with `password`, returning its secret (mnemonic or URI).
pub fn open(path: &Path, password: &str) -> Result<Zeroizing<String>, WalletError> {
	let file = read_keyfile(path)?;
	let corrupt = |why: &str| WalletError::Corrupt { path: path.to_path_buf(), why: why.into() };
	let salt = hex::decode(&file.kdf.salt).map_err(|_| corrupt("salt is not hex"))?;
	let nonce = hex::decode(&file.cipher.nonce).map_err(|_| corrupt("nonce is not hex"))?;
	let ciphertext = hex::decode(&file.ciphertext).map_err(|_| corrupt("ciphertext is not hex"))?;
	if nonce.len() != 12 || salt.len() < 16 {
		return Err(corrupt("bad nonce or salt length"));
	}
	let key = scrypt_key(password, &salt, file.kdf.log_n, file.kdf.r, file.kdf.p)
		.map_err(|why| WalletError::Corrupt { path: path.to_path_buf(), why })?;
	let cipher = ChaCha20Poly1305::new(Key::from_slice(key.as_ref()));
	let aad = aad(file.kind, &file.public);
	let phrase = Zeroizing::new(
		cipher
			.decrypt(Nonce::from_slice(&nonce), Payload { msg: &ciphertext, aad: &aad })
			.map_err(|_| WalletError::WrongPassword(path.to_path_buf()))?,
	);
	let secret = Zeroizing::new(
		std::str::from_utf8(&phrase).map_err(|_| corrupt("secret is not UTF-8"))?.to_string(),
	);
	let pair = keypair_from_secret(&secret)?;
	if format!("0x{}", hex::encode(pair.public_key().0)) != file.public {
		return Err(corrupt("the secret does not match the public key"));
	}
	Ok(secret)
}

/// Writes `contents` to `path` atomically with mode 0600, refusing to replace an existing file
/// unless `force`.
pub fn write_private(path: &Path, contents: &str, force: bool) -> Result<(), WalletError> {
	if path.exists() && !force {
		return Err(WalletError::Exists(path.to_path_buf()));
	}
	let dir = path.parent().unwrap_or(Path::new("."));
	create_private_dir(dir)?;
	let mut suffix = [0u8; 6];
	rand::rngs::OsRng.fill_bytes(&mut suffix);
	let tmp = dir.join(format!(
		".{}.tmp-{}",
		path.file_name().and_then(|n| n.to_str()).unwrap_or("key"),
		hex::encode(suffix)
	));
	let mut options = fs::OpenOptions::new();
	options.write(true).create_new(true);
	#[cfg(unix)]
	{
		use std::os::unix::fs::OpenOptionsExt;
		options.mode(0o600);
	}
	let result = (|| {
		let mut f = options.open(&tmp).map_err(io(&tmp))?;
		f.write_all(contents.as_bytes()).map_err(io(&tmp))?;
		f.sync_all().map_err(io(&tmp))?;
		fs::rename(&tmp, path).map_err(io(path))
	})();
	if result.is_err() {
		let _ = fs::remove_file(&tmp);
	}
	result
}

fn create_private_dir(dir: &Path) -> Result<(), WalletError> {
	if dir.is_dir() {
		return Ok(());
	}
	let mut builder = fs::DirBuilder::new();
	builder.recursive(true);
	#[cfg(unix)]
	{
		use std::os::unix::fs::DirBuilderExt;
		builder.mode(0o700);
	}
	builder.create(dir).map_err(io(dir))
}

/// A keyfile password from the first line of `path` (headless unlock: `--password-file`).
pub fn password_from_file(path: &Path) -> Result<Zeroizing<String>, WalletError> {
	let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io(path))?);
	Ok(Zeroizing::new(text.lines().next().unwrap_or("").to_string()))
}

/// A keyfile password from the first line read from an inherited file descriptor
/// (`--password-fd`); the descriptor is closed afterwards.
pub fn password_from_fd(fd: i32) -> Result<Zeroizing<String>, WalletError> {
	let path = PathBuf::from(format!("file descriptor {fd}"));
	#[cfg(unix)]
	{
		use std::{io::Read, os::fd::FromRawFd};
		if fd < 0 {
			return Err(WalletError::Io {
				path,
				source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a descriptor"),
			});
		}
		// SAFETY: the caller hands us an inherited descriptor it opened for this purpose; we
		// read it once and close it.
		let mut f = unsafe { std::fs::File::from_raw_fd(fd) };
		let mut text = Zeroizing::new(String::new());
		f.read_to_string(&mut text).map_err(io(&path))?;
		Ok(Zeroizing::new(text.lines().next().unwrap_or("").to_string()))
	}
	#[cfg(not(unix))]
	{
		Err(WalletError::Io {
			path,
			source: std::io::Error::new(std::io::ErrorKind::Unsupported, "needs a Unix system"),
		})
	}
}

/// One wallet: a directory with a coldkey and hotkeys.
#[derive(Clone, Debug)]
pub struct Wallet {
	/// Its name.
	pub name: String,
	/// Its directory.
	pub dir: PathBuf,
}

impl Wallet {
	/// The wallet `name` under `root` (it need not exist yet).
	pub fn new(root: &Path, name: &str) -> Result<Self, WalletError> {
		check_name(name)?;
		Ok(Self { name: name.to_string(), dir: root.join(name) })
	}

	/// Every wallet under `root`, by name.
	pub fn list(root: &Path) -> Result<Vec<Wallet>, WalletError> {
		let mut wallets = Vec::new();
		let entries = match fs::read_dir(root) {
			Ok(e) => e,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(wallets),
			Err(e) => return Err(WalletError::Io { path: root.to_path_buf(), source: e }),
		};
		for entry in entries {
			let entry = entry.map_err(io(root))?;
			let name = entry.file_name().to_string_lossy().to_string();
			if entry.path().join("coldkey").is_file() && check_name(&name).is_ok() {
				wallets.push(Wallet { name, dir: entry.path() });
			}
		}
		wallets.sort_by(|a, b| a.name.cmp(&b.name));
		Ok(wallets)
	}

	/// The coldkey's keyfile.
	pub fn coldkey_path(&self) -> PathBuf {
		self.dir.join("coldkey")
	}

	/// A hotkey's keyfile.
	pub fn hotkey_path(&self, hotkey: &str) -> Result<PathBuf, WalletError> {
		check_name(hotkey)?;
		Ok(self.dir.join("hotkeys").join(hotkey))
	}

	/// Stores `secret` (a mnemonic or secret URI) as the coldkey (or, with `hotkey`, as that
	/// hotkey), encrypted with `password`. Refuses to overwrite unless `force`. Returns the key's
	/// public side.
	pub fn store(
		&self,
		hotkey: Option<&str>,
		secret: &str,
		password: &str,
		force: bool,
	) -> Result<PublicKey, WalletError> {
		let (kind, path, name) = match hotkey {
			None => (KeyKind::Coldkey, self.coldkey_path(), "coldkey".to_string()),
			Some(h) => (KeyKind::Hotkey, self.hotkey_path(h)?, h.to_string()),
		};
		if path.exists() && !force {
			return Err(WalletError::Exists(path));
		}
		let text = seal(kind, secret, password, SCRYPT_LOG_N)?;
		write_private(&path, &text, force)?;
		Ok(PublicKey { kind, name, ss58: ss58(&keypair_from_secret(secret)?), path })
	}

	/// The coldkey's public side.
	pub fn coldkey_public(&self) -> Result<PublicKey, WalletError> {
		let path = self.coldkey_path();
		let file = read_keyfile(&path)?;
		Ok(PublicKey { kind: KeyKind::Coldkey, name: "coldkey".into(), ss58: file.ss58, path })
	}

	/// A hotkey's public side.
	pub fn hotkey_public(&self, hotkey: &str) -> Result<PublicKey, WalletError> {
		let path = self.hotkey_path(hotkey)?;
		let file = read_keyfile(&path)?;
		Ok(PublicKey { kind: KeyKind::Hotkey, name: hotkey.into(), ss58: file.ss58, path })
	}

	/// Every hotkey's public side, by name.
	pub fn hotkeys(&self) -> Result<Vec<PublicKey>, WalletError> {
		let dir = self.dir.join("hotkeys");
		let mut keys = Vec::new();
		let entries = match fs::read_dir(&dir) {
			Ok(e) => e,
			Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(keys),
			Err(e) => return Err(WalletError::Io { path: dir, source: e }),
		};
		for entry in entries {
			let entry = entry.map_err(io(&dir))?;
			let name = entry.file_name().to_string_lossy().to_string();
			if name.starts_with('.') || check_name(&name).is_err() {
				continue;
			}
			keys.push(self.hotkey_public(&name)?);
		}
		keys.sort_by(|a, b| a.name.cmp(&b.name));
		Ok(keys)
	}

	/// The coldkey's keypair.
	pub fn unlock_coldkey(&self, password: &str) -> Result<Keypair, WalletError> {
		keypair_from_secret(&open(&self.coldkey_path(), password)?)
	}

	/// A hotkey's keypair.
	pub fn unlock_hotkey(&self, hotkey: &str, password: &str) -> Result<Keypair, WalletError> {
		keypair_from_secret(&open(&self.hotkey_path(hotkey)?, password)?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const PHRASE: &str = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

	#[test]
	fn seal_and_open_round_trip_with_a_fresh_salt_each_time() {
		let dir = tempfile::tempdir().unwrap();
		let m = parse_mnemonic(PHRASE).unwrap();
		let a = seal(KeyKind::Coldkey, PHRASE, "pw", 10).unwrap();
		let b = seal(KeyKind::Coldkey, PHRASE, "pw", 10).unwrap();
		let (fa, fb): (Keyfile, Keyfile) =
			(serde_json::from_str(&a).unwrap(), serde_json::from_str(&b).unwrap());
		assert_ne!(fa.kdf.salt, fb.kdf.salt, "salt must be random per file");
		assert_ne!(fa.ciphertext, fb.ciphertext);
		assert!(!a.contains("bottom"), "mnemonic in clear");
		let path = dir.path().join("k");
		write_private(&path, &a, false).unwrap();
		assert_eq!(open(&path, "pw").unwrap().as_str(), PHRASE);
		// The dev phrase's sr25519 key is Alice's... with //Alice; bare, it is this address.
		assert_eq!(fa.ss58, ss58(&keypair(&m).unwrap()));
	}

	#[test]
	fn wrong_password_and_tampering_are_refused() {
		let dir = tempfile::tempdir().unwrap();
		let m = parse_mnemonic(PHRASE).unwrap();
		let path = dir.path().join("k");
		write_private(&path, &seal(KeyKind::Hotkey, PHRASE, "right", 10).unwrap(), false).unwrap();
		let _ = m;
		assert!(matches!(open(&path, "wrong"), Err(WalletError::WrongPassword(_))));
		// Claiming to be a coldkey breaks the associated data.
		let text = fs::read_to_string(&path).unwrap().replace("\"hotkey\"", "\"coldkey\"");
		write_private(&path, &text, true).unwrap();
		assert!(matches!(open(&path, "right"), Err(WalletError::WrongPassword(_))));
		write_private(&path, "{not json", true).unwrap();
		assert!(matches!(open(&path, "right"), Err(WalletError::Corrupt { .. })));
		assert!(matches!(open(&dir.path().join("none"), "x"), Err(WalletError::Missing(_))));
	}

	#[test]
	fn wallets_store_list_and_never_overwrite() {
		let root = tempfile::tempdir().unwrap();
		let w = Wallet::new(root.path(), "main").unwrap();
		let m = generate_mnemonic().to_string();
		let cold = w.store(None, &m, "pw", false).unwrap();
		assert!(matches!(w.store(None, &m, "pw", false), Err(WalletError::Exists(_))));
		w.store(None, &m, "pw", true).unwrap();
		let hot = w.store(Some("miner1"), &generate_mnemonic().to_string(), "pw", false).unwrap();
		// Dev keys by secret URI: //Alice is the well-known address.
		let alice = w.store(Some("alice"), "//Alice", "pw", false).unwrap();
		assert_eq!(alice.ss58, "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		assert_eq!(w.coldkey_public().unwrap().ss58, cold.ss58);
		assert_eq!(w.hotkeys().unwrap(), vec![alice, hot.clone()]);
		assert_eq!(ss58(&w.unlock_hotkey("miner1", "pw").unwrap()), hot.ss58);
		assert_eq!(Wallet::list(root.path()).unwrap().len(), 1);
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = fs::metadata(&cold.path).unwrap().permissions().mode() & 0o777;
			assert_eq!(mode, 0o600);
			let mode = fs::metadata(&w.dir).unwrap().permissions().mode() & 0o777;
			assert_eq!(mode, 0o700);
		}
		assert!(matches!(Wallet::new(root.path(), "../evil"), Err(WalletError::BadName(_))));
		assert!(matches!(w.hotkey_path("a/b"), Err(WalletError::BadName(_))));
		assert!(matches!(seal(KeyKind::Coldkey, &m, "", 10), Err(WalletError::EmptyPassword)));
		assert!(matches!(parse_mnemonic("not a mnemonic"), Err(WalletError::Mnemonic(_))));
		assert!(matches!(keypair_from_secret("not a secret"), Err(WalletError::Mnemonic(_))));
	}
}
