//! A validator's own, private evaluation data, mixed with the public sets in the challenges of
//! [`crate::eval`].
//!
//! The public data (the Lee ratings, State of the Union, Brown) ships in packages any miner can
//! install, so its truth can be looked up. Data that only the validator holds cannot.
//!
//! # Format
//!
//! A directory (not searched recursively; other files are ignored) holding:
//!
//! - `*.txt`: UTF-8 plain text, any length, any line breaks (words are split on whitespace).
//!   Generation prompts and their true continuations are cut from it, and it is a source of
//!   novel passages for embedding challenges. Each file is one passage; one with no words is an
//!   error.
//! - `*.tsv`: rated pairs, one per line: `text_a<TAB>text_b<TAB>score`. The score is any finite
//!   real number, higher meaning more similar; only the order of the scores matters (they are
//!   compared by Spearman's rank correlation). Lines starting with `#` and blank lines are
//!   skipped; a trailing `\r` is dropped. Both texts must be non-empty and different, and a pair
//!   (in either order) may appear only once over all the files.
//!
//! At least one `.txt` or `.tsv` file is needed. Every problem is a
//! [`ModelError::PrivateData`] naming the file, the line (1-based; 0 for the whole file) and a
//! [`DataProblem`].

use std::{
	collections::HashMap,
	fmt,
	path::{Path, PathBuf},
};

use crate::{
	data::{Passage, TextCorpus},
	ModelError, Result,
};

/// What is wrong with a private data file (see [`ModelError::PrivateData`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataProblem {
	/// The path is not a directory (or cannot be listed).
	NotADirectory,
	/// The directory holds no `.txt` and no `.tsv` file.
	NoFiles,
	/// The file cannot be read.
	Unreadable(String),
	/// The file is not UTF-8: the first bad byte is at this offset.
	NotUtf8 {
		/// Byte offset of the first invalid byte.
		offset: usize,
	},
	/// A `.txt` file without a single word.
	NoText,
	/// A `.tsv` line without exactly three tab-separated columns.
	Columns {
		/// How many columns the line has.
		found: usize,
	},
	/// A text column is empty (or only whitespace).
	EmptyText {
		/// Which column, 1 or 2.
		column: usize,
	},
	/// The score is not a number.
	BadScore(String),
	/// The score is infinite or NaN.
	NonFiniteScore(String),
	/// Both texts of the pair are the same.
	SelfPair,
	/// The same pair (in either order) was already given.
	Duplicate {
		/// Where it was first given: `file:line`.
		first: String,
	},
	/// A `.tsv` file without a single pair.
	NoPairs,
	/// Every score over all the `.tsv` files is the same, so there is no order to reproduce.
	ConstantScores,
}

impl fmt::Display for DataProblem {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		match self {
			Self::NotADirectory => write!(f, "not a directory"),
			Self::NoFiles => write!(f, "no .txt or .tsv file"),
			Self::Unreadable(e) => write!(f, "cannot read it: {e}"),
			Self::NotUtf8 { offset } => write!(f, "not UTF-8 (invalid byte at offset {offset})"),
			Self::NoText => write!(f, "no text"),
			Self::Columns { found } => write!(
				f,
				"{found} column{} where text_a<TAB>text_b<TAB>score needs 3",
				if *found == 1 { "" } else { "s" }
			),
			Self::EmptyText { column } => write!(f, "text {column} is empty"),
			Self::BadScore(s) => write!(f, "score {s:?} is not a number"),
			Self::NonFiniteScore(s) => write!(f, "score {s:?} is not finite"),
			Self::SelfPair => write!(f, "both texts are the same"),
			Self::Duplicate { first } => write!(f, "the same pair as {first}"),
			Self::NoPairs => write!(f, "no rated pair"),
			Self::ConstantScores => write!(f, "every score is the same: nothing to rank"),
		}
	}
}

fn problem(path: &Path, line: usize, problem: DataProblem) -> ModelError {
	ModelError::PrivateData { path: path.to_path_buf(), line, problem }
}

/// A rated pair of private texts.
#[derive(Debug, Clone, PartialEq)]
pub struct RatedPair {
	/// The first text.
	pub a: String,
	/// The second text.
	pub b: String,
	/// How similar they are (only the order among pairs matters).
	pub score: f64,
	/// Where it comes from: `file.tsv:line`.
	pub origin: String,
}

/// A validator's private evaluation data: plain text and rated pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct PrivateData {
	/// The text of the `.txt` files, one passage each (source `private/NAME.txt`); `None` when
	/// there were none.
	pub text: Option<TextCorpus>,
	/// The rated pairs of the `.tsv` files, in file (sorted by name) then line order.
	pub pairs: Vec<RatedPair>,
}

impl PrivateData {
	/// The data in `dir` (see the [module docs](self) for the format).
	pub fn load(dir: &Path) -> Result<Self> {
		let entries =
			std::fs::read_dir(dir).map_err(|_| problem(dir, 0, DataProblem::NotADirectory))?;
		let mut files: Vec<PathBuf> = Vec::new();
		for entry in entries {
			let path =
				entry.map_err(|e| problem(dir, 0, DataProblem::Unreadable(e.to_string())))?.path();
			let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default();
			if path.is_file() && matches!(ext, "txt" | "tsv") {
				files.push(path);
			}
		}
		files.sort();
		if files.is_empty() {
			return Err(problem(dir, 0, DataProblem::NoFiles));
		}
		let mut passages = Vec::new();
		let mut pairs = Vec::new();
		let mut seen: HashMap<(String, String), String> = HashMap::new();
		for path in &files {
			let text = read_utf8(path)?;
			let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
			if path.extension().and_then(|e| e.to_str()) == Some("txt") {
				let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
				if words.is_empty() {
					return Err(problem(path, 0, DataProblem::NoText));
				}
				passages.push(Passage { source: format!("private/{name}"), words });
			} else {
				let before = pairs.len();
				parse_pairs(path, name, &text, &mut pairs, &mut seen)?;
				if pairs.len() == before {
					return Err(problem(path, 0, DataProblem::NoPairs));
				}
			}
		}
		if let Some(first) = pairs.first() {
			if pairs.iter().all(|p| p.score == first.score) {
				let last = files
					.iter()
					.rev()
					.find(|p| p.extension().and_then(|e| e.to_str()) == Some("tsv"));
				return Err(problem(last.unwrap_or(&files[0]), 0, DataProblem::ConstantScores));
			}
		}
		let text =
			if passages.is_empty() { None } else { Some(TextCorpus::from_passages(passages)?) };
		Ok(Self { text, pairs })
	}
}

/// The text of `path`, which must be UTF-8.
fn read_utf8(path: &Path) -> Result<String> {
	let bytes = std::fs::read(path)
		.map_err(|e| problem(path, 0, DataProblem::Unreadable(e.to_string())))?;
	String::from_utf8(bytes).map_err(|e| {
		let offset = e.utf8_error().valid_up_to();
		let bytes = e.as_bytes();
		let line = 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count();
		problem(path, line, DataProblem::NotUtf8 { offset })
	})
}

/// Whitespace runs collapsed to single spaces.
fn normalise(text: &str) -> String {
	text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn parse_pairs(
	path: &Path,
	name: &str,
	text: &str,
	pairs: &mut Vec<RatedPair>,
	seen: &mut HashMap<(String, String), String>,
) -> Result<()> {
	for (i, raw) in text.split('\n').enumerate() {
		let line = i + 1;
		let raw = raw.strip_suffix('\r').unwrap_or(raw);
		if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
			continue;
		}
		let columns: Vec<&str> = raw.split('\t').collect();
		if columns.len() != 3 {
			return Err(problem(path, line, DataProblem::Columns { found: columns.len() }));
		}
		let a = normalise(columns[0]);
		let b = normalise(columns[1]);
		for (column, t) in [(1, &a), (2, &b)] {
			if t.is_empty() {
				return Err(problem(path, line, DataProblem::EmptyText { column }));
			}
		}
		let score_text = columns[2].trim();
		let score: f64 = score_text
			.parse()
			.map_err(|_| problem(path, line, DataProblem::BadScore(score_text.to_string())))?;
		if !score.is_finite() {
			return Err(problem(path, line, DataProblem::NonFiniteScore(score_text.to_string())));
		}
		if a == b {
			return Err(problem(path, line, DataProblem::SelfPair));
		}
		let origin = format!("{name}:{line}");
		let key = if a < b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
		if let Some(first) = seen.get(&key) {
			return Err(problem(path, line, DataProblem::Duplicate { first: first.clone() }));
		}
		seen.insert(key, origin.clone());
		pairs.push(RatedPair { a, b, score, origin });
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	fn dir_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
		let dir = tempfile::tempdir().expect("tempdir");
		for (name, content) in files {
			std::fs::write(dir.path().join(name), content).expect("write");
		}
		dir
	}

	fn err_of(files: &[(&str, &[u8])]) -> (String, usize, DataProblem) {
		let dir = dir_with(files);
		match PrivateData::load(dir.path()) {
			Err(ModelError::PrivateData { path, line, problem }) => {
				let name =
					path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
				(name, line, problem)
			},
			other => panic!("expected a private data error, got {other:?}"),
		}
	}

	#[test]
	fn loads_text_and_pairs() {
		let dir = dir_with(&[
			("a.txt", b"One two three.\nFour  five\tsix.\n"),
			(
				"p.tsv",
				b"# a comment\n\nthe cat sat\ta cat was sitting\t4.5\r\ndogs bark\tthe stock \
				  market fell\t-1\nx\ty\t1e2\n",
			),
			("notes.md", b"ignored"),
		]);
		let data = PrivateData::load(dir.path()).expect("valid");
		let text = data.text.expect("text");
		assert_eq!(text.passages().len(), 1);
		assert_eq!(text.passages()[0].source, "private/a.txt");
		assert_eq!(text.passages()[0].text(), "One two three. Four five six.");
		assert_eq!(data.pairs.len(), 3);
		assert_eq!(data.pairs[0].a, "the cat sat");
		assert_eq!(data.pairs[0].score, 4.5);
		assert_eq!(data.pairs[0].origin, "p.tsv:3");
		assert_eq!(data.pairs[1].score, -1.0);
		assert_eq!(data.pairs[2].score, 100.0);
	}

	#[test]
	fn every_bad_input_is_named_with_file_and_line() {
		let empty = tempfile::tempdir().expect("tempdir");
		let e = PrivateData::load(empty.path()).expect_err("empty");
		assert!(matches!(e, ModelError::PrivateData { problem: DataProblem::NoFiles, .. }), "{e}");
		let e = PrivateData::load(Path::new("/nonexistent/private")).expect_err("missing");
		assert!(e.to_string().contains("/nonexistent/private"), "{e}");

		type Files<'a> = Vec<(&'a str, &'a [u8])>;
		let cases: Vec<(Files<'_>, &str, usize, DataProblem)> = vec![
			(vec![("a.txt", b"ok \xff bad")], "a.txt", 1, DataProblem::NotUtf8 { offset: 3 }),
			(vec![("a.tsv", b"x\ty\t1\nq\xc3\t")], "a.tsv", 2, DataProblem::NotUtf8 { offset: 7 }),
			(vec![("a.txt", b" \n\t")], "a.txt", 0, DataProblem::NoText),
			(vec![("p.tsv", b"x\ty\t1\nx\ty\n")], "p.tsv", 2, DataProblem::Columns { found: 2 }),
			(vec![("p.tsv", b"x\ty\t1\t2\n")], "p.tsv", 1, DataProblem::Columns { found: 4 }),
			(vec![("p.tsv", b" \ty\t1\n")], "p.tsv", 1, DataProblem::EmptyText { column: 1 }),
			(vec![("p.tsv", b"x\t\t1\n")], "p.tsv", 1, DataProblem::EmptyText { column: 2 }),
			(vec![("p.tsv", b"x\ty\thigh\n")], "p.tsv", 1, DataProblem::BadScore("high".into())),
			(
				vec![("p.tsv", b"x\ty\tNaN\n")],
				"p.tsv",
				1,
				DataProblem::NonFiniteScore("NaN".into()),
			),
			(
				vec![("p.tsv", b"x\ty\tinf\n")],
				"p.tsv",
				1,
				DataProblem::NonFiniteScore("inf".into()),
			),
			(vec![("p.tsv", b"x  z\tx z\t1\n")], "p.tsv", 1, DataProblem::SelfPair),
			(
				vec![("p.tsv", b"x\ty\t1\n"), ("q.tsv", b"# c\ny\tx\t2\n")],
				"q.tsv",
				2,
				DataProblem::Duplicate { first: "p.tsv:1".into() },
			),
			(vec![("p.tsv", b"# only a comment\n\n")], "p.tsv", 0, DataProblem::NoPairs),
			(vec![("p.tsv", b"x\ty\t1\nz\tw\t1.0\n")], "p.tsv", 0, DataProblem::ConstantScores),
		];
		for (files, file, line, want) in cases {
			let (got_file, got_line, got) = err_of(&files);
			assert_eq!((got_file.as_str(), got_line, &got), (file, line, &want), "{files:?}");
		}
		let (_, _, p) = err_of(&[("p.tsv", b"x\ty\t1\nx\ty\n")]);
		let e = ModelError::PrivateData { path: "/d/p.tsv".into(), line: 2, problem: p };
		assert_eq!(
			e.to_string(),
			"private data /d/p.tsv line 2: 2 columns where text_a<TAB>text_b<TAB>score needs 3"
		);
	}
}
