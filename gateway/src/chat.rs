//! The chat template: a conversation turned into the one prompt a text-generation miner
//! continues.
//!
//! The template is SmolLM2-Instruct's ChatML (the model text-generation miners run): each
//! message is `<|im_start|>{role}\n{content}<|im_end|>\n`, then `<|im_start|>assistant\n` opens
//! the answer. Without a system message, SmolLM2's default one comes first, as its own template
//! adds it.

/// The system message SmolLM2-Instruct's template adds when the conversation has none.
pub const DEFAULT_SYSTEM: &str =
	"You are a helpful AI assistant named SmolLM, trained by Hugging Face";

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Turn<'a> {
	/// `system`, `user`, `assistant`, …
	pub role: &'a str,
	/// The text.
	pub content: &'a str,
}

/// The ChatML prompt of `messages`, ending where the assistant's answer starts.
pub fn chatml(messages: &[Turn<'_>]) -> String {
	let mut prompt = String::new();
	if messages.first().is_none_or(|m| m.role != "system") {
		push(&mut prompt, "system", DEFAULT_SYSTEM);
	}
	for m in messages {
		push(&mut prompt, m.role, m.content);
	}
	prompt.push_str("<|im_start|>assistant\n");
	prompt
}

fn push(prompt: &mut String, role: &str, content: &str) {
	prompt.push_str("<|im_start|>");
	prompt.push_str(role);
	prompt.push('\n');
	prompt.push_str(content);
	prompt.push_str("<|im_end|>\n");
}

/// The answer as the client should see it: generation stops at the model's end of turn, but a
/// miner may return the marker (or go on past it), so the text is cut there.
pub fn answer_text(generated: &str) -> &str {
	let end = ["<|im_end|>", "<|im_start|>"]
		.iter()
		.filter_map(|marker| generated.find(marker))
		.min()
		.unwrap_or(generated.len());
	&generated[..end]
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_template_is_smollm2s_chatml() {
		let user = Turn { role: "user", content: "What is the capital of France?" };
		assert_eq!(
			chatml(std::slice::from_ref(&user)),
			"<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging \
			 Face<|im_end|>\n<|im_start|>user\nWhat is the capital of France?<|im_end|>\n\
			 <|im_start|>assistant\n"
		);
		let system = Turn { role: "system", content: "Be brief." };
		let before = Turn { role: "assistant", content: "Hi." };
		assert_eq!(
			chatml(&[system, user, before]),
			"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhat is the capital of \
			 France?<|im_end|>\n<|im_start|>assistant\nHi.<|im_end|>\n<|im_start|>assistant\n"
		);
	}

	#[test]
	fn answers_stop_at_the_end_of_turn() {
		assert_eq!(answer_text("Paris.<|im_end|>\n<|im_start|>user"), "Paris.");
		assert_eq!(answer_text("Paris."), "Paris.");
		assert_eq!(answer_text("<|im_start|>"), "");
	}
}
