//! `metagraph --plot FILE.svg|FILE.png`: incentive and dividends per UID as grouped bars, drawn by
//! plotters onto its SVG backend or its bitmap backend (encoded by the `png` crate).
//!
//! Text is laid out with a font compiled into the binary (registered with plotters' `ab_glyph`
//! feature), so plotting needs neither system fonts nor fontconfig.

use std::{path::Path, sync::OnceLock};

use agora_client::chain::RuntimeAccountId;
use agora_primitives::Metagraph;
use plotters::{
	coord::Shift,
	prelude::*,
	style::{register_font, FontStyle},
};

/// Incentive bars: matplotlib's first colour, as the old chart had.
const INCENTIVE: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
/// Dividends bars: matplotlib's second colour.
const DIVIDENDS: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
/// Height of the image in pixels; the width grows with the number of UIDs.
const HEIGHT: u32 = 420;

/// Writes the plot in the format the file's extension names, `.svg` or `.png`.
pub(crate) fn write(path: &Path, m: &Metagraph<RuntimeAccountId>) -> Result<(), String> {
	let bytes = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase) {
		Some(e) if e == "svg" => svg(m)?.into_bytes(),
		Some(e) if e == "png" => png(m)?,
		_ => return Err(format!("{}: the plot file must end in .svg or .png", path.display())),
	};
	std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// One UID's bars: its incentive and dividends as fractions of 1.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bars {
	uid: u16,
	incentive: f64,
	dividends: f64,
}

/// The numbers the chart shows, in UID order.
fn bars(m: &Metagraph<RuntimeAccountId>) -> Vec<Bars> {
	let fraction = |v: u16| f64::from(v) / f64::from(u16::MAX);
	m.neurons
		.iter()
		.map(|n| Bars {
			uid: n.uid,
			incentive: fraction(n.incentive),
			dividends: fraction(n.dividends),
		})
		.collect()
}

fn title(m: &Metagraph<RuntimeAccountId>) -> String {
	format!("subnet {} at block {}: incentive and dividends per UID", m.subnet.netuid, m.block)
}

/// Image size: about 24 px per UID between 640 and 2400 px wide, so a full subnet stays legible.
fn size(uids: usize) -> (u32, u32) {
	let width = (120 + 24 * uids).clamp(640, 2400);
	(u32::try_from(width).unwrap_or(2400), HEIGHT)
}

/// Top of the y axis: the largest bar plus a fifth for the legend, rounded up to a tenth.
fn y_top(bars: &[Bars]) -> f64 {
	let max = bars.iter().map(|b| b.incentive.max(b.dividends)).fold(0.0, f64::max);
	((max * 1.2 * 10.0).ceil() / 10.0).clamp(0.1, 1.2)
}

fn svg(m: &Metagraph<RuntimeAccountId>) -> Result<String, String> {
	let bars = bars(m);
	let mut out = String::new();
	{
		let root = SVGBackend::with_string(&mut out, size(bars.len())).into_drawing_area();
		draw(&root, &title(m), &bars)?;
		root.present().map_err(|e| format!("cannot draw the plot: {e}"))?;
	}
	Ok(out)
}

fn png(m: &Metagraph<RuntimeAccountId>) -> Result<Vec<u8>, String> {
	let bars = bars(m);
	let (width, height) = size(bars.len());
	let mut rgb = vec![0u8; width as usize * height as usize * 3];
	{
		let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
		draw(&root, &title(m), &bars)?;
		root.present().map_err(|e| format!("cannot draw the plot: {e}"))?;
	}
	let mut out = Vec::new();
	let mut encoder = png::Encoder::new(&mut out, width, height);
	encoder.set_color(png::ColorType::Rgb);
	encoder.set_depth(png::BitDepth::Eight);
	let mut writer = encoder.write_header().map_err(|e| format!("cannot encode the PNG: {e}"))?;
	writer.write_image_data(&rgb).map_err(|e| format!("cannot encode the PNG: {e}"))?;
	writer.finish().map_err(|e| format!("cannot encode the PNG: {e}"))?;
	Ok(out)
}

/// Registers the embedded font as plotters' `sans-serif`, once per process.
fn font() -> Result<(), String> {
	static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
	REGISTERED
		.get_or_init(|| {
			register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::HACK_REGULAR)
				.map_err(|_| "the embedded plot font does not parse".to_string())
		})
		.clone()
}

/// Draws the chart: one band per UID holding its incentive bar (left) and dividends bar (right).
fn draw<DB: DrawingBackend>(
	root: &DrawingArea<DB, Shift>,
	title: &str,
	bars: &[Bars],
) -> Result<(), String> {
	font()?;
	let fail = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("cannot draw the plot: {e}");
	root.fill(&WHITE).map_err(fail)?;
	// plotters' integer ranges include their end, so 0..uids - 1 is one band per UID; it maps a
	// one-value range badly, so a lone UID gets an empty band beside it.
	let uids = u32::try_from(bars.len().max(2)).unwrap_or(u32::MAX);
	let mut chart = ChartBuilder::on(root)
		.caption(title, ("sans-serif", 20))
		.margin(12)
		.x_label_area_size(42)
		.y_label_area_size(56)
		.build_cartesian_2d((0..uids - 1).into_segmented(), 0.0..y_top(bars))
		.map_err(fail)?;
	let uid_at = |v: &SegmentValue<u32>| match v {
		SegmentValue::CenterOf(i) => {
			bars.get(*i as usize).map(|b| b.uid.to_string()).unwrap_or_default()
		},
		_ => String::new(),
	};
	chart
		.configure_mesh()
		.disable_x_mesh()
		.light_line_style(TRANSPARENT)
		.bold_line_style(BLACK.mix(0.12))
		.x_desc("UID")
		.y_desc("share of the subnet (0 to 1)")
		.x_labels(bars.len().clamp(1, 32))
		.x_label_formatter(&uid_at)
		.y_label_formatter(&|v| format!("{v:.1}"))
		.axis_desc_style(("sans-serif", 15))
		.label_style(("sans-serif", 13))
		.draw()
		.map_err(fail)?;
	// A few pixels between neighbouring UIDs' bands, so each pair reads as one group.
	let (pixels, _) = chart.plotting_area().get_pixel_range();
	let band = (pixels.end - pixels.start) / i32::try_from(uids).unwrap_or(i32::MAX);
	let gap = u32::try_from(band / 8).unwrap_or(0);
	for (dividends, label, colour) in
		[(false, "incentive", INCENTIVE), (true, "dividends", DIVIDENDS)]
	{
		// Incentive fills the left half of a UID's band, dividends the right half.
		let rect = |(i, b): (usize, &Bars)| {
			let i = u32::try_from(i).unwrap_or(u32::MAX);
			let (from, to, value, left, right) = if dividends {
				(SegmentValue::CenterOf(i), SegmentValue::Exact(i + 1), b.dividends, 0, gap)
			} else {
				(SegmentValue::Exact(i), SegmentValue::CenterOf(i), b.incentive, gap, 0)
			};
			let mut r = Rectangle::new([(from, value), (to, 0.0)], colour.filled());
			r.set_margin(0, 0, left, right);
			r
		};
		chart
			.draw_series(bars.iter().enumerate().map(rect))
			.map_err(fail)?
			.label(label)
			.legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
	}
	chart
		.configure_series_labels()
		.position(SeriesLabelPosition::UpperRight)
		.label_font(("sans-serif", 14))
		.background_style(WHITE.mix(0.9))
		.border_style(BLACK.mix(0.4))
		.draw()
		.map_err(fail)?;
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;
	use agora_primitives::{NeuronInfo, SubnetHyperparams, SubnetInfo};

	/// A subnet at block 1234 whose UID `i` has incentive `i/n` and dividends `1 - i/n`.
	fn metagraph(neurons: u16) -> Metagraph<RuntimeAccountId> {
		let account = RuntimeAccountId::new([7; 32]);
		let share =
			|i: u16| (u32::from(i) * u32::from(u16::MAX) / u32::from(neurons.max(1))) as u16;
		Metagraph {
			subnet: SubnetInfo {
				netuid: 3,
				owner: account.clone(),
				registered_at: 1,
				neurons,
				hyperparams: SubnetHyperparams::default(),
				registration_cost: 0,
				pending_emission: 0,
				last_epoch: 0,
			},
			block: 1234,
			neurons: (0..neurons)
				.map(|uid| NeuronInfo {
					netuid: 3,
					uid,
					hotkey: account.clone(),
					coldkey: account.clone(),
					stake: 0,
					rank: 0,
					trust: 0,
					consensus: 0,
					incentive: share(uid),
					dividends: u16::MAX - share(uid),
					validator_trust: 0,
					validator_permit: false,
					emission: 0,
					last_update: 0,
					registered_at: 0,
					active: true,
					endpoint: None,
				})
				.collect(),
		}
	}

	/// Decodes a PNG with the `png` crate: (width, height, RGB pixels).
	fn decode(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
		let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
		let mut buf = vec![0; reader.output_buffer_size().unwrap()];
		let info = reader.next_frame(&mut buf).unwrap();
		assert_eq!(info.color_type, png::ColorType::Rgb);
		let pixels = buf[..info.buffer_size()].chunks(3).map(|p| [p[0], p[1], p[2]]).collect();
		(info.width, info.height, pixels)
	}

	#[test]
	fn png_decodes_and_shows_both_series() {
		for neurons in [0, 1, 8, 256] {
			let (w, h, pixels) = decode(&png(&metagraph(neurons)).unwrap());
			assert_eq!((w, h), size(usize::from(neurons)));
			assert_eq!(pixels.len(), (w * h) as usize);
			assert!(pixels.iter().any(|p| *p != pixels[0]), "{neurons} UIDs: one colour");
			assert!(pixels.contains(&[0, 0, 0]), "{neurons} UIDs: no text or axes");
			if neurons > 0 {
				for colour in [INCENTIVE, DIVIDENDS] {
					assert!(pixels.contains(&[colour.0, colour.1, colour.2]), "{neurons} UIDs");
				}
			}
		}
	}

	#[test]
	fn svg_is_a_document_with_title_legend_and_bars() {
		let svg = svg(&metagraph(8)).unwrap();
		assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
		assert_eq!(svg.matches('<').count(), svg.matches('>').count(), "unbalanced tags");
		// Every element is closed: `<x .../>`, or `<x ...>` with its `</x>`.
		for name in ["svg", "text", "rect", "line", "polyline"] {
			let open = svg.matches(&format!("<{name} ")).count();
			let closed = svg.matches(&format!("</{name}>")).count()
				+ svg
					.split(&format!("<{name} "))
					.skip(1)
					.filter(|t| t.split('>').next().is_some_and(|tag| tag.ends_with('/')))
					.count();
			assert_eq!(open, closed, "<{name}> elements left open");
		}
		let texts: Vec<&str> = svg
			.split("<text")
			.skip(1)
			.filter_map(|t| t.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")))
			.map(|(text, _)| text.trim())
			.collect();
		for text in [
			"subnet 3 at block 1234: incentive and dividends per UID",
			"incentive",
			"dividends",
			"UID",
			"0",
			"7",
		] {
			assert!(texts.contains(&text), "no {text:?} among the SVG's texts {texts:?}");
		}
		assert!(svg.contains("#1F77B4") || svg.contains("#1f77b4"), "no incentive bars");
	}

	#[test]
	fn y_axis_fits_the_tallest_bar() {
		let bar = |incentive, dividends| Bars { uid: 0, incentive, dividends };
		assert_eq!(y_top(&[]), 0.1);
		assert_eq!(y_top(&[bar(0.02, 0.01)]), 0.1);
		assert_eq!(y_top(&[bar(0.3, 0.5)]), 0.6);
		assert_eq!(y_top(&[bar(0.3, 0.55)]), 0.7);
		assert_eq!(y_top(&[bar(1.0, 0.0)]), 1.2);
	}

	#[test]
	fn other_extensions_are_refused() {
		let err = write(Path::new("m.jpg"), &metagraph(1)).unwrap_err();
		assert!(err.contains(".svg or .png"), "{err}");
	}
}
