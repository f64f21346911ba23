//! AGR amounts: 9 decimals. Parsing never rounds: more than 9 decimals is an error.

use agora_primitives::Balance;

/// Plancks per AGR.
pub const PLANCKS_PER_AGR: Balance = 1_000_000_000;

/// Why an amount was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an AGR amount: write e.g. 10, 0.5 or 1.000000001 (at most 9 decimals)")]
pub struct BadAmount(pub String);

/// Parses `"1.5"` into plancks (`1_500_000_000`).
pub fn parse_agr(s: &str) -> Result<Balance, BadAmount> {
	let bad = || BadAmount(s.to_string());
	let t = s.trim().replace('_', "");
	let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
	if whole.is_empty() && frac.is_empty()
		|| frac.len() > 9
		|| !whole.chars().all(|c| c.is_ascii_digit())
		|| !frac.chars().all(|c| c.is_ascii_digit())
	{
		return Err(bad());
	}
	let whole: Balance = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
	let frac: Balance = format!("{frac:0<9}").parse().map_err(|_| bad())?;
	whole.checked_mul(PLANCKS_PER_AGR).and_then(|w| w.checked_add(frac)).ok_or_else(bad)
}

/// Formats plancks as AGR with all 9 decimals, trailing zeros dropped: `1.5`, `0.000000001`.
pub fn format_agr(plancks: Balance) -> String {
	let (whole, frac) = (plancks / PLANCKS_PER_AGR, plancks % PLANCKS_PER_AGR);
	if frac == 0 {
		whole.to_string()
	} else {
		let frac = format!("{frac:09}");
		format!("{whole}.{}", frac.trim_end_matches('0'))
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn parses_and_formats_without_rounding() {
		assert_eq!(parse_agr("1.5"), Ok(1_500_000_000));
		assert_eq!(parse_agr("0.000000001"), Ok(1));
		assert_eq!(parse_agr("10"), Ok(10 * PLANCKS_PER_AGR));
		assert_eq!(parse_agr(".5"), Ok(500_000_000));
		assert_eq!(parse_agr("1_000"), Ok(1000 * PLANCKS_PER_AGR));
		for bad in ["", ".", "1.0000000001", "-1", "1e9", "abc", "1.2.3"] {
			assert!(parse_agr(bad).is_err(), "{bad}");
		}
		assert_eq!(format_agr(1_500_000_000), "1.5");
		assert_eq!(format_agr(1), "0.000000001");
		assert_eq!(format_agr(7 * PLANCKS_PER_AGR), "7");
		for p in [0, 1, 123_456_789_012, u64::MAX as u128] {
			assert_eq!(parse_agr(&format_agr(p)), Ok(p));
		}
	}
}
