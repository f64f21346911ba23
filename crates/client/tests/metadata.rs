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
	// What the client relies on is in it.
	let md = subxt::metadata::Metadata::decode_from(&stored[..]).expect("decodes");
	for (pallet, calls) in agora_client::chain::USED_CALLS {
		let p = md.pallet_by_name(pallet).unwrap_or_else(|| panic!("no pallet {pallet}"));
		for call in *calls {
			assert!(p.call_hash(call).is_some(), "no call {pallet}.{call}");
		}
	}
	assert!(md.runtime_api_trait_by_name("AgoraApi").is_some());
}
