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
//!
//! ## A keyfile is untrusted input
//!
//! Its scrypt parameters decide how much memory and time an unlock costs before the password is
//! even checked (`log_n` 40 would ask for 2^40 × 1 KiB), so every field is checked when the file
//! is read, before any KDF runs; anything outside these ranges is a
//! [`WalletError::Corrupt`] keyfile:
//!
//! | field | accepted | written |
//! |---|---|---|
//! | file size | at most [`MAX_KEYFILE_BYTES`] (16 KiB) | ~0.6 KiB |
//! | `version` | 1 | 1 |
//! | `kdf.name`, `cipher.name` | `scrypt`, `chacha20poly1305` | the same |
//! | `kdf.log_n` | [`KDF_LOG_N`] (10 ..= 20) | [`SCRYPT_LOG_N`] (15) |
//! | `kdf.r` | [`KDF_R`] (1 ..= 32) | 8 |
//! | `kdf.p` | [`KDF_P`] (1 ..= 16) | 1 |
//! | memory, 128 · r · 2^log_n bytes | at most [`KDF_MAX_MEMORY`] (256 MiB) | 32 MiB |
//! | work, 128 · r · p · 2^log_n bytes mixed | at most [`KDF_MAX_WORK`] (1 GiB) | 32 MiB |
//! | `kdf.salt` | hex, [`SALT_LEN`] (16 ..= 64) bytes | 16 bytes |
//! | `cipher.nonce` | hex, [`NONCE_LEN`] (12) bytes | 12 bytes |
//! | `ciphertext` | hex, [`CIPHERTEXT_LEN`] (17 ..= 1040) bytes: a secret of at most [`MAX_SECRET_BYTES`] and the 16-byte tag | |
//! | `public` | `0x` and 32 bytes of hex | |
//! | `ss58` | the SS58 address of `public` (what `wallet show` prints is what signs) | |
//!
//! ## Writing is all or nothing
//!
//! [`Wallet::store_all`] checks every name, every existing file, the password and every secret
//! before it writes anything, then stages each keyfile in a temporary file beside its place and
//! renames them in; a failure on the way undoes the renames and removes the directories it made,
//! so the disk is as it was. [`Wallet::check_new`] runs the same checks alone, for callers that
//! ask for a password only once the names are known to be good.
//!
//! ## Secrets as text
//!
//! A mnemonic or secret URI is read whole, whatever whitespace separates its words (one word a
//! line, tabs, a trailing newline): [`normalize_secret`] makes every run of whitespace one space,
//! and [`read_secret`] reads one from a stream (stdin) up to its end or an empty line.

use std::{
	fs,
	io::{BufRead, Read, Write},
	ops::RangeInclusive,
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
pub use zeroize::Zeroizing;

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
	/// The keyfile cannot be parsed, uses an unknown scheme, or has a field outside the accepted
	/// ranges (see the module docs): refused before any KDF runs.
	#[error("corrupt keyfile {path}: {why}")]
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
	/// A secret to store is longer than [`MAX_SECRET_BYTES`].
	#[error("the secret is {0} bytes long; at most {MAX_SECRET_BYTES} are accepted")]
	SecretTooLong(usize),
	/// scrypt parameters outside the accepted ranges were asked for when sealing.
	#[error("scrypt parameters out of range: {0}")]
	KdfParams(String),
	/// The same key named twice in one store.
	#[error("{0} is named twice")]
	Duplicate(PathBuf),
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
/// scrypt block size written.
const SCRYPT_R: u32 = 8;
/// scrypt parallelism written.
const SCRYPT_P: u32 = 1;

/// `kdf.log_n` a keyfile may have.
pub const KDF_LOG_N: RangeInclusive<u8> = 10..=20;
/// `kdf.r` a keyfile may have.
pub const KDF_R: RangeInclusive<u32> = 1..=32;
/// `kdf.p` a keyfile may have.
pub const KDF_P: RangeInclusive<u32> = 1..=16;
/// Most memory an unlock may take: scrypt's 128 · r · 2^log_n bytes.
pub const KDF_MAX_MEMORY: u64 = 256 << 20;
/// Most work an unlock may take: 128 · r · p · 2^log_n bytes mixed (time grows with it; the
/// written parameters mix 32 MiB, ~0.1 s optimised).
pub const KDF_MAX_WORK: u64 = 1 << 30;
/// Salt length a keyfile may have, in bytes.
pub const SALT_LEN: RangeInclusive<usize> = 16..=64;
/// Nonce length of ChaCha20-Poly1305, in bytes.
pub const NONCE_LEN: usize = 12;
/// Longest secret (mnemonic or secret URI) a keyfile holds, in bytes.
pub const MAX_SECRET_BYTES: usize = 1024;
/// Ciphertext length a keyfile may have: a secret of 1 ..= [`MAX_SECRET_BYTES`] bytes and the
/// 16-byte authentication tag.
pub const CIPHERTEXT_LEN: RangeInclusive<usize> = 17..=(MAX_SECRET_BYTES + 16);
/// Largest keyfile read, in bytes.
pub const MAX_KEYFILE_BYTES: u64 = 16 << 10;

/// Checks scrypt parameters against the accepted ranges (see the module docs).
pub fn check_kdf_params(log_n: u8, r: u32, p: u32) -> Result<(), String> {
	if !KDF_LOG_N.contains(&log_n) {
		return Err(format!(
			"kdf.log_n {log_n} is outside {}..={}",
			KDF_LOG_N.start(),
			KDF_LOG_N.end()
		));
	}
	if !KDF_R.contains(&r) {
		return Err(format!("kdf.r {r} is outside {}..={}", KDF_R.start(), KDF_R.end()));
	}
	if !KDF_P.contains(&p) {
		return Err(format!("kdf.p {p} is outside {}..={}", KDF_P.start(), KDF_P.end()));
	}
	// log_n ≤ 20 and r ≤ 32: no overflow.
	let memory = (128 * u64::from(r)) << log_n;
	if memory > KDF_MAX_MEMORY {
		return Err(format!(
			"scrypt would need {} MiB (128 · r · 2^log_n); at most {} MiB are accepted",
			memory >> 20,
			KDF_MAX_MEMORY >> 20
		));
	}
	if memory * u64::from(p) > KDF_MAX_WORK {
		return Err(format!(
			"scrypt would mix {} MiB (128 · r · p · 2^log_n); at most {} MiB are accepted",
			(memory * u64::from(p)) >> 20,
			KDF_MAX_WORK >> 20
		));
	}
	Ok(())
}

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

/// A secret as one line: every run of whitespace (spaces, tabs, newlines) one space, none at
/// either end, so a mnemonic given one word a line is the same mnemonic.
pub fn normalize_secret(secret: &str) -> Zeroizing<String> {
	let mut out = Zeroizing::new(String::with_capacity(secret.len()));
	for word in secret.split_whitespace() {
		if !out.is_empty() {
			out.push(' ');
		}
		out.push_str(word);
	}
	out
}

/// Reads a secret (mnemonic or secret URI) from `input`, stdin for instance: every line up to
/// the end of the input or to an empty line after the first word, whatever whitespace separates
/// the words; at most 64 KiB are read. Returns it normalized ([`normalize_secret`]).
pub fn read_secret(input: impl BufRead) -> Result<Zeroizing<String>, WalletError> {
	const LIMIT: u64 = 64 << 10;
	let path = PathBuf::from("the secret's input");
	let mut text = Zeroizing::new(String::new());
	let mut limited = input.take(LIMIT);
	loop {
		let mut line = Zeroizing::new(String::new());
		let n = limited.read_line(&mut line).map_err(io(&path))?;
		if n == 0 {
			break;
		}
		if line.trim().is_empty() && !text.trim().is_empty() {
			break;
		}
		text.push_str(&line);
		text.push(' ');
	}
	Ok(normalize_secret(&text))
}

/// Parses a BIP39 mnemonic.
pub fn parse_mnemonic(phrase: &str) -> Result<Mnemonic, WalletError> {
	Mnemonic::parse(normalize_secret(phrase).as_str())
		.map_err(|e| WalletError::Mnemonic(e.to_string()))
}

/// The sr25519 keypair of a mnemonic (no derivation path, no BIP39 password).
pub fn keypair(mnemonic: &Mnemonic) -> Result<Keypair, WalletError> {
	Keypair::from_phrase(mnemonic, None).map_err(|e| WalletError::Mnemonic(e.to_string()))
}

/// The keypair of a stored secret: a BIP39 mnemonic, or a secret URI such as `//Alice` or
/// `<mnemonic>//hard/soft` (for dev keys and derived keys).
pub fn keypair_from_secret(secret: &str) -> Result<Keypair, WalletError> {
	let secret = normalize_secret(secret);
	let secret = secret.as_str();
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
/// JSON text. The secret is stored normalized ([`normalize_secret`]); `log_n` must be in
/// [`KDF_LOG_N`].
pub fn seal(kind: KeyKind, secret: &str, password: &str, log_n: u8) -> Result<String, WalletError> {
	if password.is_empty() {
		return Err(WalletError::EmptyPassword);
	}
	check_kdf_params(log_n, SCRYPT_R, SCRYPT_P).map_err(WalletError::KdfParams)?;
	let phrase = normalize_secret(secret);
	if phrase.len() > MAX_SECRET_BYTES {
		return Err(WalletError::SecretTooLong(phrase.len()));
	}
	let pair = keypair_from_secret(&phrase)?;
	let public = format!("0x{}", hex::encode(pair.public_key().0));
	let (mut salt, mut nonce) = ([0u8; 16], [0u8; NONCE_LEN]);
	rand::rngs::OsRng.fill_bytes(&mut salt);
	rand::rngs::OsRng.fill_bytes(&mut nonce);
	let key =
		scrypt_key(password, &salt, log_n, SCRYPT_R, SCRYPT_P).map_err(WalletError::KdfParams)?;
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
		kdf: Kdf {
			name: "scrypt".into(),
			log_n,
			r: SCRYPT_R,
			p: SCRYPT_P,
			salt: hex::encode(salt),
		},
		cipher: Cipher { name: "chacha20poly1305".into(), nonce: hex::encode(nonce) },
		ciphertext: hex::encode(ciphertext),
	};
	Ok(serde_json::to_string_pretty(&file).expect("keyfile serializes"))
}

/// A keyfile's binary fields, decoded and checked.
struct Sealed {
	salt: Vec<u8>,
	nonce: Vec<u8>,
	ciphertext: Vec<u8>,
}

/// Checks every field of a parsed keyfile against the accepted ranges (module docs), before
/// anything costly is done with it.
fn check_keyfile(file: &Keyfile) -> Result<Sealed, String> {
	if file.version != 1 {
		return Err(format!("unknown version {}", file.version));
	}
	if file.kdf.name != "scrypt" {
		return Err(format!("unknown kdf `{}`", file.kdf.name));
	}
	if file.cipher.name != "chacha20poly1305" {
		return Err(format!("unknown cipher `{}`", file.cipher.name));
	}
	check_kdf_params(file.kdf.log_n, file.kdf.r, file.kdf.p)?;
	let salt = hex::decode(&file.kdf.salt).map_err(|_| "kdf.salt is not hex".to_string())?;
	if !SALT_LEN.contains(&salt.len()) {
		return Err(format!(
			"kdf.salt is {} bytes; {}..={} are accepted",
			salt.len(),
			SALT_LEN.start(),
			SALT_LEN.end()
		));
	}
	let nonce =
		hex::decode(&file.cipher.nonce).map_err(|_| "cipher.nonce is not hex".to_string())?;
	if nonce.len() != NONCE_LEN {
		return Err(format!("cipher.nonce is {} bytes, not {NONCE_LEN}", nonce.len()));
	}
	let ciphertext =
		hex::decode(&file.ciphertext).map_err(|_| "ciphertext is not hex".to_string())?;
	if !CIPHERTEXT_LEN.contains(&ciphertext.len()) {
		return Err(format!(
			"ciphertext is {} bytes; {}..={} are accepted",
			ciphertext.len(),
			CIPHERTEXT_LEN.start(),
			CIPHERTEXT_LEN.end()
		));
	}
	let public = file
		.public
		.strip_prefix("0x")
		.and_then(|h| hex::decode(h).ok())
		.and_then(|b| <[u8; 32]>::try_from(b).ok())
		.ok_or_else(|| "public is not 0x and 32 bytes of hex".to_string())?;
	if AccountId32::from(public).to_string() != file.ss58 {
		return Err("ss58 is not the address of public".into());
	}
	Ok(Sealed { salt, nonce, ciphertext })
}

fn read_keyfile(path: &Path) -> Result<(Keyfile, Sealed), WalletError> {
	let corrupt = |why: String| WalletError::Corrupt { path: path.to_path_buf(), why };
	let f = fs::File::open(path).map_err(|e| {
		if e.kind() == std::io::ErrorKind::NotFound {
			WalletError::Missing(path.to_path_buf())
		} else {
			WalletError::Io { path: path.to_path_buf(), source: e }
		}
	})?;
	let mut text = String::new();
	f.take(MAX_KEYFILE_BYTES + 1).read_to_string(&mut text).map_err(io(path))?;
	if text.len() as u64 > MAX_KEYFILE_BYTES {
		return Err(corrupt(format!("larger than {MAX_KEYFILE_BYTES} bytes")));
	}
	let file: Keyfile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
	let sealed = check_keyfile(&file).map_err(corrupt)?;
	Ok((file, sealed))
}

/// Decrypts the keyfile at `path` with `password`, returning its secret (mnemonic or URI). Every
/// field is checked (module docs) before the KDF runs.
pub fn open(path: &Path, password: &str) -> Result<Zeroizing<String>, WalletError> {
	let (file, Sealed { salt, nonce, ciphertext }) = read_keyfile(path)?;
	let corrupt = |why: &str| WalletError::Corrupt { path: path.to_path_buf(), why: why.into() };
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
	write_all_private(&[(path.to_path_buf(), contents)], force)
}

/// Writes every `(path, contents)` with mode 0600, or none of them: each is staged in a temporary
/// file beside its place (written, fsynced), then all are renamed in. A failure on the way undoes
/// the renames (an overwritten file comes back), removes the staged files and the directories
/// made for them, so the disk is as it was. Refuses to replace an existing file unless `force`,
/// and never replaces a directory.
pub fn write_all_private(files: &[(PathBuf, &str)], force: bool) -> Result<(), WalletError> {
	for (i, (path, _)) in files.iter().enumerate() {
		if files[..i].iter().any(|(p, _)| p == path) {
			return Err(WalletError::Duplicate(path.clone()));
		}
		if path.is_dir() {
			return Err(WalletError::Io {
				path: path.clone(),
				source: std::io::Error::new(std::io::ErrorKind::AlreadyExists, "is a directory"),
			});
		}
		if path.exists() && !force {
			return Err(WalletError::Exists(path.clone()));
		}
	}
	let mut made_dirs = Vec::new();
	let mut staged = Vec::new();
	let stage = (|| {
		for (path, contents) in files {
			create_private_dir(parent(path), &mut made_dirs)?;
			staged.push(write_temp(path, contents)?);
		}
		Ok(())
	})();
	if let Err(e) = stage {
		undo(&mut Vec::new(), &staged, &made_dirs);
		return Err(e);
	}
	// (target, where the file it replaced waits until every rename is done)
	let mut renamed: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
	for ((path, _), tmp) in files.iter().zip(&staged) {
		let step = (|| {
			let backup = if path.exists() {
				let backup = temp_name(path, "old");
				fs::rename(path, &backup).map_err(io(path))?;
				Some(backup)
			} else {
				None
			};
			match fs::rename(tmp, path) {
				Ok(()) => Ok(backup),
				Err(e) => {
					if let Some(b) = &backup {
						let _ = fs::rename(b, path);
					}
					Err(WalletError::Io { path: path.clone(), source: e })
				},
			}
		})();
		match step {
			Ok(backup) => renamed.push((path.clone(), backup)),
			Err(e) => {
				undo(&mut renamed, &staged, &made_dirs);
				return Err(e);
			},
		}
	}
	for (_, backup) in renamed {
		if let Some(b) = backup {
			let _ = fs::remove_file(b);
		}
	}
	Ok(())
}

fn parent(path: &Path) -> &Path {
	path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// `.<name>.<what>-<random>` beside `path`.
fn temp_name(path: &Path, what: &str) -> PathBuf {
	let mut suffix = [0u8; 6];
	rand::rngs::OsRng.fill_bytes(&mut suffix);
	parent(path).join(format!(
		".{}.{what}-{}",
		path.file_name().and_then(|n| n.to_str()).unwrap_or("key"),
		hex::encode(suffix)
	))
}

/// Writes `contents` to a new temporary file beside `path` (mode 0600, fsynced); returns it.
fn write_temp(path: &Path, contents: &str) -> Result<PathBuf, WalletError> {
	let tmp = temp_name(path, "tmp");
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
		f.sync_all().map_err(io(&tmp))
	})();
	match result {
		Ok(()) => Ok(tmp),
		Err(e) => {
			let _ = fs::remove_file(&tmp);
			Err(e)
		},
	}
}

/// Puts back what a failed [`write_all_private`] did: renamed files out (the files they replaced
/// back in), staged files removed, directories it made removed (deepest first).
fn undo(renamed: &mut Vec<(PathBuf, Option<PathBuf>)>, staged: &[PathBuf], made_dirs: &[PathBuf]) {
	while let Some((path, backup)) = renamed.pop() {
		let _ = fs::remove_file(&path);
		if let Some(b) = backup {
			let _ = fs::rename(b, &path);
		}
	}
	for tmp in staged {
		let _ = fs::remove_file(tmp);
	}
	for dir in made_dirs.iter().rev() {
		let _ = fs::remove_dir(dir);
	}
}

/// Creates `dir` and its missing ancestors with mode 0700, recording each one made in `made`.
fn create_private_dir(dir: &Path, made: &mut Vec<PathBuf>) -> Result<(), WalletError> {
	let mut missing = Vec::new();
	let mut d = dir;
	while !d.exists() {
		missing.push(d.to_path_buf());
		match d.parent() {
			Some(p) if !p.as_os_str().is_empty() => d = p,
			_ => break,
		}
	}
	for d in missing.into_iter().rev() {
		let mut builder = fs::DirBuilder::new();
		#[cfg(unix)]
		{
			use std::os::unix::fs::DirBuilderExt;
			builder.mode(0o700);
		}
		match builder.create(&d) {
			Ok(()) => made.push(d),
			Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && d.is_dir() => {},
			Err(e) => return Err(WalletError::Io { path: d, source: e }),
		}
	}
	if dir.is_dir() {
		Ok(())
	} else {
		Err(WalletError::Io {
			path: dir.to_path_buf(),
			source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
		})
	}
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

/// A key for [`Wallet::store_all`]: the coldkey (`hotkey: None`) or a named hotkey.
#[derive(Clone, Copy, Debug)]
pub struct NewKey<'a> {
	/// The hotkey's name, or `None` for the coldkey.
	pub hotkey: Option<&'a str>,
	/// Its mnemonic or secret URI.
	pub secret: &'a str,
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

	/// Where the coldkey (or, with `hotkey`, that hotkey) is stored: its kind, keyfile and name.
	fn key_place(&self, hotkey: Option<&str>) -> Result<(KeyKind, PathBuf, String), WalletError> {
		Ok(match hotkey {
			None => (KeyKind::Coldkey, self.coldkey_path(), "coldkey".to_string()),
			Some(h) => (KeyKind::Hotkey, self.hotkey_path(h)?, h.to_string()),
		})
	}

	/// Checks that the coldkey (or, with `hotkey`, that hotkey) can be stored: a valid name, and
	/// no key there unless `force`. What [`Wallet::store_all`] checks first, for callers that ask
	/// for a password only once the names are known to be good.
	pub fn check_new(&self, hotkey: Option<&str>, force: bool) -> Result<PathBuf, WalletError> {
		let (_, path, _) = self.key_place(hotkey)?;
		if path.exists() && !force {
			return Err(WalletError::Exists(path));
		}
		Ok(path)
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
		let mut keys = self.store_all(&[NewKey { hotkey, secret }], password, force)?;
		Ok(keys.remove(0))
	}

	/// Stores every key, all encrypted with `password`, or none: every name, every existing key
	/// (refused unless `force`), the password and every secret are checked before anything is
	/// written, and the writing itself is all or nothing ([`write_all_private`]). Returns the
	/// keys' public sides, in order.
	pub fn store_all(
		&self,
		keys: &[NewKey<'_>],
		password: &str,
		force: bool,
	) -> Result<Vec<PublicKey>, WalletError> {
		let mut places = Vec::with_capacity(keys.len());
		for key in keys {
			self.check_new(key.hotkey, force)?;
			places.push(self.key_place(key.hotkey)?);
		}
		if password.is_empty() {
			return Err(WalletError::EmptyPassword);
		}
		let mut texts = Vec::with_capacity(keys.len());
		let mut publics = Vec::with_capacity(keys.len());
		for (key, (kind, path, name)) in keys.iter().zip(places) {
			let ss58 = ss58(&keypair_from_secret(key.secret)?);
			texts.push((path.clone(), seal(kind, key.secret, password, SCRYPT_LOG_N)?));
			publics.push(PublicKey { kind, name, ss58, path });
		}
		let files: Vec<(PathBuf, &str)> =
			texts.iter().map(|(p, t)| (p.clone(), t.as_str())).collect();
		write_all_private(&files, force)?;
		Ok(publics)
	}

	/// The coldkey's public side.
	pub fn coldkey_public(&self) -> Result<PublicKey, WalletError> {
		let path = self.coldkey_path();
		let (file, _) = read_keyfile(&path)?;
		Ok(PublicKey { kind: KeyKind::Coldkey, name: "coldkey".into(), ss58: file.ss58, path })
	}

	/// A hotkey's public side.
	pub fn hotkey_public(&self, hotkey: &str) -> Result<PublicKey, WalletError> {
		let path = self.hotkey_path(hotkey)?;
		let (file, _) = read_keyfile(&path)?;
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

	/// A keyfile (log_n 10) at `dir/k`, its JSON parsed for editing.
	fn keyfile(dir: &Path) -> (PathBuf, serde_json::Value) {
		let path = dir.join("k");
		let text = seal(KeyKind::Coldkey, PHRASE, "pw", 10).unwrap();
		write_private(&path, &text, true).unwrap();
		(path, serde_json::from_str(&text).unwrap())
	}

	#[test]
	fn kdf_parameters_and_fields_out_of_range_are_a_corrupt_keyfile_before_any_kdf_runs() {
		let dir = tempfile::tempdir().unwrap();
		let (path, good) = keyfile(dir.path());
		assert_eq!(open(&path, "pw").unwrap().as_str(), PHRASE);
		let hex_of = |n: usize| serde_json::Value::from(hex::encode(vec![7u8; n]));
		let edits: Vec<(&str, &str, serde_json::Value)> = vec![
			// log_n 40 aborted the process; 22 took 4 GiB and 13 s.
			("kdf", "log_n", 40.into()),
			("kdf", "log_n", 22.into()),
			("kdf", "log_n", 21.into()),
			("kdf", "log_n", 9.into()),
			("kdf", "log_n", 0.into()),
			("kdf", "r", 0.into()),
			("kdf", "r", 33.into()),
			("kdf", "r", u32::MAX.into()),
			("kdf", "p", 0.into()),
			("kdf", "p", 17.into()),
			("kdf", "p", u32::MAX.into()),
			// Each within its range, together too costly: 4 GiB of memory; 2 GiB of work.
			("kdf", "r", 32.into()),
			("kdf", "p", 16.into()),
			("kdf", "salt", hex_of(8)),
			("kdf", "salt", hex_of(65)),
			("kdf", "salt", "zz".into()),
			("kdf", "name", "argon2".into()),
			("cipher", "nonce", hex_of(11)),
			("cipher", "nonce", hex_of(13)),
			("cipher", "name", "aes".into()),
			("", "ciphertext", hex_of(16)),
			("", "ciphertext", hex_of(MAX_SECRET_BYTES + 17)),
			("", "public", "0x1234".into()),
			("", "ss58", "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into()),
			("", "version", 2.into()),
		];
		let started = std::time::Instant::now();
		for (section, field, value) in edits {
			let mut file = good.clone();
			let target = if section.is_empty() { &mut file } else { &mut file[section] };
			target[field] = value.clone();
			if field == "r" && value == 32 {
				file["kdf"]["log_n"] = 20.into();
			}
			if field == "p" && value == 16 {
				file["kdf"]["log_n"] = 17.into();
			}
			write_private(&path, &file.to_string(), true).unwrap();
			let opened = open(&path, "pw");
			assert!(
				matches!(&opened, Err(WalletError::Corrupt { .. })),
				"{section}.{field} = {value}: {:?}",
				opened.map(|_| ())
			);
			let message = opened.err().map(|e| e.to_string()).unwrap_or_default();
			assert!(message.starts_with("corrupt keyfile"), "{message}");
			let w = Wallet { name: "w".into(), dir: dir.path().to_path_buf() };
			fs::copy(&path, w.coldkey_path()).unwrap();
			assert!(matches!(w.coldkey_public(), Err(WalletError::Corrupt { .. })));
		}
		// A keyfile larger than 16 KiB is not even parsed.
		let mut big = good.clone();
		big["padding"] = "x".repeat(MAX_KEYFILE_BYTES as usize).into();
		write_private(&path, &big.to_string(), true).unwrap();
		assert!(matches!(open(&path, "pw"), Err(WalletError::Corrupt { .. })));
		// No KDF ran: 26 refusals together take far less than one unlock at log_n 22.
		assert!(started.elapsed() < std::time::Duration::from_secs(2), "{:?}", started.elapsed());
		// The limits hold at their edges.
		assert!(check_kdf_params(20, 2, 1).is_ok());
		assert!(check_kdf_params(20, 3, 1).is_err());
		assert!(check_kdf_params(18, 8, 4).is_ok());
		assert!(check_kdf_params(18, 8, 5).is_err());
		assert!(check_kdf_params(15, 8, 16).is_ok());
		assert!(check_kdf_params(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P).is_ok());
		assert!(matches!(seal(KeyKind::Coldkey, PHRASE, "pw", 21), Err(WalletError::KdfParams(_))));
	}

	#[test]
	fn storing_keys_is_all_or_nothing() {
		let root = tempfile::tempdir().unwrap();
		let listing = |p: &Path| -> Vec<String> {
			let mut names = Vec::new();
			let mut stack = vec![p.to_path_buf()];
			while let Some(d) = stack.pop() {
				for e in fs::read_dir(&d).unwrap() {
					let e = e.unwrap();
					names.push(e.path().strip_prefix(p).unwrap().display().to_string());
					if e.path().is_dir() {
						stack.push(e.path());
					}
				}
			}
			names.sort();
			names
		};
		let cold = generate_mnemonic().to_string();
		let hot = generate_mnemonic().to_string();
		let both = |h: &'static str| {
			vec![NewKey { hotkey: None, secret: &cold }, NewKey { hotkey: Some(h), secret: &hot }]
		};
		let w = Wallet::new(&root.path().join("wallets"), "fresh").unwrap();
		// A bad hotkey name: nothing at all is written, not even the wallet's directory.
		assert!(matches!(
			w.store_all(&both("bad name"), "pw", false),
			Err(WalletError::BadName(_))
		));
		assert!(matches!(w.check_new(Some("bad name"), false), Err(WalletError::BadName(_))));
		assert!(listing(root.path()).is_empty());
		// An empty password, a bad secret: the same.
		assert!(matches!(w.store_all(&both("h"), "", false), Err(WalletError::EmptyPassword)));
		let bad_secret =
			[NewKey { hotkey: None, secret: &cold }, NewKey { hotkey: Some("h"), secret: "nope" }];
		assert!(matches!(w.store_all(&bad_secret, "pw", false), Err(WalletError::Mnemonic(_))));
		assert!(listing(root.path()).is_empty());
		// The hotkeys directory cannot be made (a file is in the way): the coldkey staged
		// first is taken back, the directories made for it removed.
		fs::create_dir_all(&w.dir).unwrap();
		fs::write(w.dir.join("hotkeys"), b"in the way").unwrap();
		let before = listing(root.path());
		assert!(matches!(w.store_all(&both("h"), "pw", false), Err(WalletError::Io { .. })));
		assert_eq!(listing(root.path()), before);
		fs::remove_file(w.dir.join("hotkeys")).unwrap();
		fs::remove_dir(&w.dir).unwrap();
		fs::remove_dir(root.path().join("wallets")).unwrap();
		let made = tempfile::tempdir().unwrap();
		let w2 = Wallet::new(made.path(), "w").unwrap();
		fs::create_dir_all(w2.dir.join("hotkeys")).unwrap();
		fs::write(w2.dir.join("hotkeys/h"), b"in the way").unwrap();
		// An existing hotkey without --force: the coldkey is not written either.
		assert!(matches!(w2.store_all(&both("h"), "pw", false), Err(WalletError::Exists(_))));
		assert!(!w2.coldkey_path().exists());
		// A directory where a keyfile goes is never replaced, even with force.
		fs::remove_file(w2.dir.join("hotkeys/h")).unwrap();
		fs::create_dir(w2.dir.join("hotkeys/h")).unwrap();
		assert!(w2.store_all(&both("h"), "pw", true).is_err());
		assert!(!w2.coldkey_path().exists());
		fs::remove_dir(w2.dir.join("hotkeys/h")).unwrap();
		// Both written, then both replaced with force; no staging files stay behind.
		let keys = w2.store_all(&both("h"), "pw", false).unwrap();
		assert_eq!(keys.len(), 2);
		assert_eq!(keys[0].ss58, ss58(&keypair_from_secret(&cold).unwrap()));
		assert_eq!(keys[1].ss58, ss58(&w2.unlock_hotkey("h", "pw").unwrap()));
		let again = generate_mnemonic().to_string();
		let replaced = w2
			.store_all(
				&[
					NewKey { hotkey: None, secret: &again },
					NewKey { hotkey: Some("h"), secret: &again },
				],
				"pw2",
				true,
			)
			.unwrap();
		assert_eq!(ss58(&w2.unlock_coldkey("pw2").unwrap()), replaced[0].ss58);
		assert_eq!(listing(made.path()), vec!["w", "w/coldkey", "w/hotkeys", "w/hotkeys/h"]);
		assert!(matches!(
			write_all_private(&[(w2.coldkey_path(), "a"), (w2.coldkey_path(), "b")], true),
			Err(WalletError::Duplicate(_))
		));
	}

	#[test]
	fn a_secret_is_read_whole_whatever_whitespace_separates_its_words() {
		let one_line = keypair_from_secret(PHRASE).unwrap().public_key().0;
		for input in [
			PHRASE.replace(' ', "\n") + "\n",
			PHRASE.to_string(),
			format!("\n\n  {}\r\n", PHRASE.replace(' ', "\t ")),
			format!("{}\n\nnot read\n", PHRASE.replace(' ', "\n")),
		] {
			let secret = read_secret(input.as_bytes()).unwrap();
			assert_eq!(secret.as_str(), PHRASE, "{input:?}");
			assert_eq!(keypair_from_secret(&secret).unwrap().public_key().0, one_line);
			if !input.contains("not read") {
				assert_eq!(keypair_from_secret(&input).unwrap().public_key().0, one_line);
				assert_eq!(parse_mnemonic(&input).unwrap().to_string(), PHRASE);
			}
		}
		assert_eq!(read_secret("".as_bytes()).unwrap().as_str(), "");
		// Stored normalized: a mnemonic given one word a line opens as the one-line phrase.
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("k");
		let text = seal(KeyKind::Hotkey, &PHRASE.replace(' ', "\n"), "pw", 10).unwrap();
		write_private(&path, &text, false).unwrap();
		assert_eq!(open(&path, "pw").unwrap().as_str(), PHRASE);
		assert!(matches!(
			seal(KeyKind::Hotkey, &"a".repeat(MAX_SECRET_BYTES + 1), "pw", 10),
			Err(WalletError::SecretTooLong(_))
		));
	}
}
