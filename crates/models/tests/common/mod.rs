//! Shared by the tests that need the real assets.

use agora_models::assets::Assets;

/// The installed assets; a test that needs them fails (never silently passes) without them.
pub(crate) fn assets() -> Assets {
	match Assets::locate() {
		Ok(assets) => assets,
		Err(e) => panic!(
			"this test needs the real models and data: {e}\n\
			 (or point AGORA_ASSETS at an installed copy)"
		),
	}
}
