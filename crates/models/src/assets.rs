//! Where the real model weights and evaluation data live.
//!
//! `scripts/assets.sh` installs them into `$AGORA_ASSETS` (default `~/.cache/agora/assets`):
//!
//! ```text
//! minilm/{config.json, model.safetensors, tokenizer.json}   all-MiniLM-L6-v2
//! smollm2/SmolLM2-135M-Instruct.Q4_1.gguf                   SmolLM2-135M-Instruct
//! lee/{lee.cor, similarities0-1.txt}                        Lee corpus + human ratings
//! sotu/*.txt                                                State of the Union speeches
//! brown/c??                                                 the Brown corpus (tagged)
//! ```

use std::path::{Path, PathBuf};

use crate::{ModelError, Result, ASSETS_HINT};

/// The environment variable that overrides [`assets_dir`].
pub const ASSETS_ENV: &str = "AGORA_ASSETS";

/// The assets directory: `$AGORA_ASSETS` when set (and not empty), else
/// `~/.cache/agora/assets`.
pub fn assets_dir() -> PathBuf {
	match std::env::var_os(ASSETS_ENV) {
		Some(dir) if !dir.is_empty() => PathBuf::from(dir),
		_ => {
			let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
			home.join(".cache").join("agora").join("assets")
		},
	}
}

/// An installed, checked set of assets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
	/// The assets directory.
	pub root: PathBuf,
}

impl Assets {
	/// The assets in [`assets_dir`], checked.
	pub fn locate() -> Result<Self> {
		Self::at(assets_dir())
	}

	/// The assets under `root`, checked: every file is there (a [`ModelError::Missing`] that
	/// says to run `scripts/assets.sh` otherwise).
	pub fn at(root: PathBuf) -> Result<Self> {
		let assets = Self { root };
		assets.check()?;
		Ok(assets)
	}

	/// Checks that every asset file and directory is present.
	pub fn check(&self) -> Result<()> {
		if !self.root.is_dir() {
			return Err(missing(&self.root));
		}
		let minilm = self.minilm_dir();
		for file in [
			minilm.join("config.json"),
			minilm.join("model.safetensors"),
			minilm.join("tokenizer.json"),
			self.smollm2_gguf(),
			self.lee_corpus(),
			self.lee_ratings(),
		] {
			require_file(&file)?;
		}
		for dir in [self.sotu_dir(), self.brown_dir()] {
			let non_empty =
				std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(false);
			if !non_empty {
				return Err(missing(&dir));
			}
		}
		Ok(())
	}

	/// all-MiniLM-L6-v2 in the Hugging Face layout: `config.json`, `model.safetensors`,
	/// `tokenizer.json`.
	pub fn minilm_dir(&self) -> PathBuf {
		self.root.join("minilm")
	}

	/// SmolLM2-135M-Instruct, quantized to Q4_1, as GGUF.
	pub fn smollm2_gguf(&self) -> PathBuf {
		self.root.join("smollm2").join("SmolLM2-135M-Instruct.Q4_1.gguf")
	}

	/// The Lee corpus: 50 news documents, one per line.
	pub fn lee_corpus(&self) -> PathBuf {
		self.root.join("lee").join("lee.cor")
	}

	/// Human similarity ratings of the Lee documents: a 50x50 upper-triangular matrix.
	pub fn lee_ratings(&self) -> PathBuf {
		self.root.join("lee").join("similarities0-1.txt")
	}

	/// State of the Union speeches, one `.txt` file each.
	pub fn sotu_dir(&self) -> PathBuf {
		self.root.join("sotu")
	}

	/// The Brown corpus, tagged `word/tag`, one file per text (`ca01` ..).
	pub fn brown_dir(&self) -> PathBuf {
		self.root.join("brown")
	}
}

/// A [`ModelError::Missing`] for an asset.
pub(crate) fn missing(path: &Path) -> ModelError {
	ModelError::Missing { path: path.to_path_buf(), hint: ASSETS_HINT.to_string() }
}

/// `Ok` when `path` is a file, else a [`ModelError::Missing`] for it.
pub(crate) fn require_file(path: &Path) -> Result<()> {
	if path.is_file() {
		Ok(())
	} else {
		Err(missing(path))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn empty_dir_is_missing_with_hint() {
		let dir = tempfile::tempdir().expect("tempdir");
		let err = Assets::at(dir.path().to_path_buf()).expect_err("nothing installed");
		let text = err.to_string();
		assert!(matches!(err, ModelError::Missing { .. }), "{text}");
		assert!(text.contains("scripts/assets.sh"), "{text}");
		assert!(text.contains("config.json"), "{text}");
	}

	#[test]
	fn nonexistent_root_is_missing() {
		let err = Assets::at("/nonexistent/agora/assets".into()).expect_err("no such dir");
		assert!(err.to_string().contains("/nonexistent/agora/assets"));
	}
}
