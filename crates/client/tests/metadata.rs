//! The checked-in metadata (`metadata/agora.scale`) is the runtime's: fails when the runtime
//! changes until the file is regenerated with `AGORA_UPDATE_METADATA=1 cargo test -p agora-client
//! --test metadata`.

#[test]
fn checked_in_metadata_matches_the_runtime() {
	// Constants such as the slot duration are genesis storage: read them from an empty state.
	let fresh: Vec<u8> = polkadot_sdk::sp_io::TestExternalities::default().execute_with(|| {
		agora_runtime::Runtime::metadata_at_version(15)
			.expect("runtime serves metadata v15")
			.to_vec()
	});
	let path = concat!(env!("CARGO_MANIFEST_DIR"), "/metadata/agora.scale");
	if std::env::var_os("AGORA_UPDATE_METADATA").is_some() {
		std::fs::write(path, &fresh).expect("write metadata");
	}
	let stored = std::fs::read(path).expect("metadata/agora.scale exists");
	assert!(
		stored == fresh,
		"metadata/agora.scale differs from the runtime's metadata: regenerate it with \
		 `AGORA_UPDATE_METADATA=1 cargo test -p agora-client --test metadata` and review what changed"
	);
	// What the client relies on is in it, and its precomputed hashes match.
	let md = subxt::metadata::Metadata::decode_from(&stored[..]).expect("decodes");
	let hashes = agora_client::chain::interface_hashes(&md).expect("every used call is there");
	let hashes = hashes.join("\n") + "\n";
	let hashes_path = concat!(env!("CARGO_MANIFEST_DIR"), "/metadata/agora.hashes");
	if std::env::var_os("AGORA_UPDATE_METADATA").is_some() {
		// The constant is compiled in: it catches up at the next build.
		std::fs::write(hashes_path, &hashes).expect("write hashes");
		return;
	}
	assert_eq!(
		agora_client::chain::BUILT_FOR_HASHES,
		hashes,
		"metadata/agora.hashes is stale: regenerate with AGORA_UPDATE_METADATA=1 (see above)"
	);
}
