//! Builds the runtime to wasm twice (both skipped with `SKIP_WASM_BUILD=1`): first with the
//! `upgrade-test` feature (`spec_version` one higher; `UPGRADE_WASM_BINARY`, the upgrade the
//! end-to-end tests enact by referendum), then as itself (`WASM_BINARY`). Both builds share one
//! project directory and its flags, so the second compiles only this crate again.

fn main() {
	#[cfg(feature = "std")]
	{
		use std::{env, fs, path::PathBuf};
		let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));

		// The name is both the blob's (`agora_runtime_upgrade.wasm`) and the constants file's.
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_feature("upgrade-test")
			.set_file_name("agora_runtime_upgrade")
			.build();
		let upgrade = fs::read_to_string(out.join("agora_runtime_upgrade"))
			.expect("the wasm builder wrote its constants");
		fs::write(
			out.join("upgrade_wasm_binary.rs"),
			upgrade.replace("pub const WASM_BINARY", "pub const UPGRADE_WASM_BINARY"),
		)
		.expect("OUT_DIR is writable");

		// Last, so that the project's uplifted blob and `wasm_binary.rs` are the runtime's own.
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
