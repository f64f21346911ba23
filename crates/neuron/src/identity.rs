//! The neuron's libp2p identity: an ed25519 key kept beside the hotkey, so the PeerId it
//! publishes on chain survives restarts.

use std::{io::Write, path::Path};

use anyhow::Context;
use libp2p::identity::Keypair;

/// Loads the key at `path`, or creates it (mode 0600, parent directories 0700) when missing.
pub fn load_or_create(path: &Path) -> anyhow::Result<Keypair> {
	match std::fs::read(path) {
		Ok(bytes) => Keypair::from_protobuf_encoding(&bytes)
			.with_context(|| format!("{} is not a libp2p key", path.display())),
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
			let key = Keypair::generate_ed25519();
			let bytes = key.to_protobuf_encoding().context("encode the libp2p key")?;
			if let Some(dir) = path.parent() {
				let mut builder = std::fs::DirBuilder::new();
				builder.recursive(true);
				#[cfg(unix)]
				std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
				builder.create(dir).with_context(|| format!("create {}", dir.display()))?;
			}
			let mut options = std::fs::OpenOptions::new();
			options.write(true).create_new(true);
			#[cfg(unix)]
			std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
			let mut file =
				options.open(path).with_context(|| format!("create {}", path.display()))?;
			file.write_all(&bytes)
				.and_then(|()| file.sync_all())
				.with_context(|| format!("write {}", path.display()))?;
			tracing::info!(
				"created libp2p identity {} at {}",
				key.public().to_peer_id(),
				path.display()
			);
			Ok(key)
		},
		Err(e) => Err(e).with_context(|| format!("read {}", path.display())),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_identity_survives_a_restart_and_is_private() -> anyhow::Result<()> {
		let dir = tempfile::tempdir()?;
		let path = dir.path().join("p2p").join("default.key");
		let first = load_or_create(&path)?;
		let again = load_or_create(&path)?;
		assert_eq!(first.public().to_peer_id(), again.public().to_peer_id());
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
		}
		std::fs::write(&path, b"not a key")?;
		let err = load_or_create(&path).err().map(|e| e.to_string()).unwrap_or_default();
		assert!(err.contains("is not a libp2p key"), "{err}");
		Ok(())
	}
}
