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

/// The chat prompt the generation tests and `scripts/bench-models.sh` use: SmolLM2's ChatML
/// template with its default system prompt (as `agora-gateway`'s `chat.rs` writes it).
#[allow(dead_code)] // not every test binary that shares this module uses it
pub(crate) const CHAT_PROMPT: &str = "<|im_start|>system\nYou are a helpful AI assistant named \
	SmolLM, trained by Hugging Face<|im_end|>\n<|im_start|>user\nWhat is the capital of France? \
	Answer in one paragraph.<|im_end|>\n<|im_start|>assistant\n";
