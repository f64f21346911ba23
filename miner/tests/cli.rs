//! `agora-miner` as an operator meets it: help, and refusals with clear messages and exit codes
//! before anything touches the chain or loads a model.

use std::process::Command;

fn miner(args: &[&str]) -> (i32, String) {
	let out = Command::new(env!("CARGO_BIN_EXE_agora-miner"))
		.args(args)
		.env_remove("AGORA_URL")
		.output()
		.expect("run agora-miner");
	let text =
		String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
	(out.status.code().unwrap_or(-1), text)
}

#[test]
fn help_explains_the_flags() {
	let (code, text) = miner(&["--help"]);
	assert_eq!(code, 0, "{text}");
	for flag in [
		"--netuid",
		"--model",
		"--variant",
		"--device",
		"--dial-out",
		"--metrics",
		"--password-file",
	] {
		assert!(text.contains(flag), "{flag} missing from:\n{text}");
	}
}

#[test]
fn bad_arguments_are_usage_errors() {
	let (code, text) = miner(&["--netuid", "1", "--model", "/nonexistent", "--variant", "half"]);
	assert_eq!(code, 2, "{text}");
	assert!(text.contains("expected full, layers:N, random[:SEED] or lookup"), "{text}");
	let (code, text) = miner(&["--model", "/nonexistent"]);
	assert_eq!(code, 2, "{text}");
	assert!(text.contains("--netuid"), "{text}");
	// No model and a variant that needs one: refused before anything touches the chain.
	let (code, text) = miner(&["--netuid", "1", "--url", "ws://127.0.0.1:1"]);
	assert_ne!(code, 0, "{text}");
	assert!(text.contains("--model PATH is needed"), "{text}");
}

#[test]
fn a_missing_hotkey_is_named_before_connecting() {
	let wallets = tempfile::tempdir().expect("temp dir");
	let (code, text) = miner(&[
		"--netuid",
		"1",
		"--model",
		"/nonexistent",
		"--wallets-dir",
		wallets.path().to_str().unwrap_or("."),
		"--wallet",
		"nobody",
		"--url",
		"ws://127.0.0.1:1",
	]);
	assert_eq!(code, 1, "{text}");
	assert!(text.contains("wallet `nobody` has no hotkey `default`"), "{text}");
}

#[test]
fn external_addresses_are_checked_before_anything_else() {
	let wallets = tempfile::tempdir().expect("temp dir");
	let dir = wallets.path().to_str().unwrap_or(".");
	let base =
		["--netuid", "1", "--model", "/nonexistent", "--wallets-dir", dir, "--wallet", "nobody"];
	// Five addresses are not an error: the first four are published.
	let five: Vec<String> = (1..=5)
		.flat_map(|i| ["--external-addr".to_string(), format!("/ip4/203.0.113.{i}/tcp/30444")])
		.collect();
	let mut args: Vec<&str> = base.to_vec();
	args.extend(five.iter().map(String::as_str));
	args.extend(["--url", "ws://127.0.0.1:1"]);
	let (code, text) = miner(&args);
	assert_eq!(code, 1, "{text}");
	assert!(text.contains("has no hotkey"), "{text}");
	// One the chain would refuse is named at once.
	let long = format!("/dns4/{}.example/tcp/1", "a".repeat(120));
	let mut args: Vec<&str> = base.to_vec();
	args.extend(["--external-addr", &long, "--url", "ws://127.0.0.1:1"]);
	let (code, text) = miner(&args);
	assert_eq!(code, 1, "{text}");
	assert!(text.contains("the chain takes addresses of at most 128 bytes"), "{text}");
}
