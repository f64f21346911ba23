//! `metagraph --plot FILE.svg`: incentive and dividends per UID as grouped bars, in plain SVG.

use std::{fmt::Write, path::Path};

use agora_client::chain::RuntimeAccountId;
use agora_primitives::Metagraph;

/// Writes the plot; only `.svg` is supported.
pub(crate) fn write_svg(path: &Path, m: &Metagraph<RuntimeAccountId>) -> Result<(), String> {
	if path.extension().and_then(|e| e.to_str()) != Some("svg") {
		return Err(format!("{}: only .svg plots are supported", path.display()));
	}
	std::fs::write(path, svg(m)).map_err(|e| format!("{}: {e}", path.display()))
}

fn svg(m: &Metagraph<RuntimeAccountId>) -> String {
	let n = m.neurons.len().max(1);
	let (left, top, height) = (50.0, 40.0, 240.0);
	let group = (720.0 / n as f64).clamp(6.0, 60.0);
	let width = left + group * n as f64 + 20.0;
	let bar = group * 0.4;
	let mut s = String::new();
	let _ = write!(
		s,
		r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
<text x="{left}" y="20" font-size="14">subnet {netuid} at block {block}: incentive (blue) and dividends (orange) per UID</text>
<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="black"/>
<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" stroke="black"/>
<text x="{lx}" y="{ty}" text-anchor="end">1.0</text>
<text x="{lx}" y="{base}" text-anchor="end">0</text>
"##,
		w = width,
		h = top + height + 40.0,
		netuid = m.subnet.netuid,
		block = m.block,
		base = top + height,
		right = width - 10.0,
		lx = left - 4.0,
		ty = top + 4.0,
	);
	for (i, neuron) in m.neurons.iter().enumerate() {
		let x = left + group * i as f64 + group * 0.1;
		for (k, (value, colour)) in
			[(neuron.incentive, "#1f77b4"), (neuron.dividends, "#ff7f0e")].into_iter().enumerate()
		{
			let h = f64::from(value) / f64::from(u16::MAX) * height;
			let _ = writeln!(
				s,
				r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"><title>UID {} {}: {:.4}</title></rect>"#,
				x + bar * k as f64,
				top + height - h,
				bar,
				h,
				neuron.uid,
				if k == 0 { "incentive" } else { "dividends" },
				f64::from(value) / f64::from(u16::MAX)
			);
		}
		if n <= 64 || i % (n / 32).max(1) == 0 {
			let _ = writeln!(
				s,
				r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
				x + bar,
				top + height + 14.0,
				neuron.uid
			);
		}
	}
	s.push_str("</svg>\n");
	s
}
