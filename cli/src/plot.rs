//! `metagraph --plot FILE.svg|FILE.png`: incentive and dividends per UID as grouped bars, in plain
//! SVG or a PNG drawn here (no image library: a palette raster, stored deflate blocks, CRC-32).

use std::{fmt::Write, path::Path};

use agora_client::chain::RuntimeAccountId;
use agora_primitives::Metagraph;

/// Writes the plot in the format the file's extension names, `.svg` or `.png`.
pub(crate) fn write(path: &Path, m: &Metagraph<RuntimeAccountId>) -> Result<(), String> {
	let bytes = match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase) {
		Some(e) if e == "svg" => svg(m).into_bytes(),
		Some(e) if e == "png" => png(m),
		_ => return Err(format!("{}: the plot file must end in .svg or .png", path.display())),
	};
	std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
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

/// Palette of the PNG plot: white, black, incentive blue, dividends orange.
const PALETTE: [[u8; 3]; 4] = [[255, 255, 255], [0, 0, 0], [0x1f, 0x77, 0xb4], [0xff, 0x7f, 0x0e]];
const WHITE: u8 = 0;
const BLACK: u8 = 1;
const BLUE: u8 = 2;
const ORANGE: u8 = 3;

/// The same chart as [`svg`], rasterised: bars, axes and labels in a 5×7 bitmap font.
fn png(m: &Metagraph<RuntimeAccountId>) -> Vec<u8> {
	let n = m.neurons.len().max(1);
	let (left, top, height) = (50usize, 40usize, 240usize);
	let group = (720.0 / n as f64).clamp(6.0, 60.0);
	let width = left + (group * n as f64).ceil() as usize + 20;
	let mut c = Canvas::new(width, top + height + 40);
	let title = format!(
		"subnet {} at block {}: incentive (blue) and dividends (orange) per UID",
		m.subnet.netuid, m.block
	);
	let scale = if 8 + title.len() * 12 <= width { 2 } else { 1 };
	c.text(8, 12, &title, scale, BLACK);
	let base = top + height;
	c.rect(left, base, width - 10 - left, 1, BLACK);
	c.rect(left, top, 1, height + 1, BLACK);
	c.text_right(left - 4, top - 3, "1.0", BLACK);
	c.text_right(left - 4, base - 6, "0", BLACK);
	let bar = group * 0.4;
	for (i, neuron) in m.neurons.iter().enumerate() {
		let x = left as f64 + group * i as f64 + group * 0.1;
		for (k, (value, colour)) in
			[(neuron.incentive, BLUE), (neuron.dividends, ORANGE)].into_iter().enumerate()
		{
			let h = (f64::from(value) / f64::from(u16::MAX) * height as f64).round() as usize;
			let x0 = (x + bar * k as f64).round() as usize;
			let x1 = (x + bar * (k + 1) as f64).round() as usize;
			c.rect(x0, base - h, (x1 - x0).max(1), h, colour);
		}
		if n <= 64 || i % (n / 32).max(1) == 0 {
			let label = neuron.uid.to_string();
			let centre = (x + bar).round() as usize;
			c.text(centre.saturating_sub(label.len() * 3), base + 6, &label, 1, BLACK);
		}
	}
	c.encode()
}

/// A palette image, one byte per pixel while drawing.
struct Canvas {
	width: usize,
	height: usize,
	pixels: Vec<u8>,
}

impl Canvas {
	fn new(width: usize, height: usize) -> Self {
		Self { width, height, pixels: vec![WHITE; width * height] }
	}

	/// Fills a rectangle, clipped to the canvas.
	fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, colour: u8) {
		for row in y..(y + h).min(self.height) {
			for col in x..(x + w).min(self.width) {
				self.pixels[row * self.width + col] = colour;
			}
		}
	}

	/// Draws `s` with its top-left corner at (x, y); characters without a glyph are blank.
	fn text(&mut self, x: usize, y: usize, s: &str, scale: usize, colour: u8) {
		for (i, ch) in s.chars().enumerate() {
			let Some(rows) = glyph(ch) else { continue };
			let gx = x + i * 6 * scale;
			for (r, bits) in rows.iter().enumerate() {
				for col in 0..5 {
					if bits & (0x10 >> col) != 0 {
						self.rect(gx + col * scale, y + r * scale, scale, scale, colour);
					}
				}
			}
		}
	}

	/// Draws `s` ending at x.
	fn text_right(&mut self, x: usize, y: usize, s: &str, colour: u8) {
		self.text(x.saturating_sub(s.len() * 6), y, s, 1, colour);
	}

	/// PNG: 2-bit palette, one IDAT of zlib stored (uncompressed) blocks.
	fn encode(&self) -> Vec<u8> {
		let row_bytes = self.width.div_ceil(4);
		let mut raw = Vec::with_capacity((row_bytes + 1) * self.height);
		for row in self.pixels.chunks(self.width) {
			raw.push(0); // filter: none
			for quad in row.chunks(4) {
				let mut byte = 0u8;
				for (k, p) in quad.iter().enumerate() {
					byte |= p << (6 - 2 * k);
				}
				raw.push(byte);
			}
		}
		let mut ihdr = Vec::with_capacity(13);
		ihdr.extend_from_slice(&(self.width as u32).to_be_bytes());
		ihdr.extend_from_slice(&(self.height as u32).to_be_bytes());
		ihdr.extend_from_slice(&[2, 3, 0, 0, 0]); // depth 2, palette, deflate, adaptive, no interlace
		let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
		chunk(&mut out, b"IHDR", &ihdr);
		chunk(&mut out, b"PLTE", PALETTE.as_flattened());
		chunk(&mut out, b"IDAT", &zlib_stored(&raw));
		chunk(&mut out, b"IEND", &[]);
		out
	}
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
	out.extend_from_slice(&(data.len() as u32).to_be_bytes());
	let start = out.len();
	out.extend_from_slice(kind);
	out.extend_from_slice(data);
	let crc = crc32(&out[start..]);
	out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored deflate blocks (RFC 1950/1951): valid everywhere, no compressor needed.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
	let mut out = vec![0x78, 0x01];
	let mut blocks = data.chunks(u16::MAX as usize).peekable();
	if blocks.peek().is_none() {
		out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
	}
	while let Some(block) = blocks.next() {
		out.push(u8::from(blocks.peek().is_none()));
		let len = block.len() as u16;
		out.extend_from_slice(&len.to_le_bytes());
		out.extend_from_slice(&(!len).to_le_bytes());
		out.extend_from_slice(block);
	}
	let (mut a, mut b) = (1u32, 0u32);
	for &byte in data {
		a = (a + u32::from(byte)) % 65521;
		b = (b + a) % 65521;
	}
	out.extend_from_slice(&((b << 16) | a).to_be_bytes());
	out
}

fn crc32(data: &[u8]) -> u32 {
	let mut crc = !0u32;
	for &byte in data {
		crc ^= u32::from(byte);
		for _ in 0..8 {
			crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
		}
	}
	!crc
}

/// 5×7 glyphs, one row per byte, bit 4 the leftmost column.
fn glyph(ch: char) -> Option<[u8; 7]> {
	Some(match ch {
		'0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
		'1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
		'2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
		'3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
		'4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
		'5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
		'6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
		'7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
		'8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
		'9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
		'a' => [0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F],
		'b' => [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E],
		'c' => [0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E],
		'd' => [0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F],
		'e' => [0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E],
		'f' => [0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08],
		'g' => [0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E],
		'h' => [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11],
		'i' => [0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E],
		'j' => [0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C],
		'k' => [0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12],
		'l' => [0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
		'm' => [0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11],
		'n' => [0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11],
		'o' => [0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E],
		'p' => [0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10],
		'q' => [0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01],
		'r' => [0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10],
		's' => [0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E],
		't' => [0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06],
		'u' => [0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D],
		'v' => [0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04],
		'w' => [0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A],
		'x' => [0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11],
		'y' => [0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E],
		'z' => [0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F],
		'D' => [0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C],
		'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
		'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
		':' => [0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00],
		'(' => [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
		')' => [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
		'.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
		'-' => [0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00],
		_ => return None,
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Reads back what [`Canvas::encode`] wrote: checks the signature, every chunk's CRC, the
	/// stored blocks and the Adler-32, and returns (width, height, palette indices).
	fn decode(png: &[u8]) -> (usize, usize, Vec<u8>) {
		assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
		let (mut at, mut ihdr, mut idat) = (8, Vec::new(), Vec::new());
		while at < png.len() {
			let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
			let body = &png[at + 4..at + 8 + len];
			let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
			assert_eq!(crc32(body), crc, "chunk CRC");
			match &body[..4] {
				b"IHDR" => ihdr = body[4..].to_vec(),
				b"IDAT" => idat.extend_from_slice(&body[4..]),
				_ => {},
			}
			at += 12 + len;
		}
		let width = u32::from_be_bytes(ihdr[..4].try_into().unwrap()) as usize;
		let height = u32::from_be_bytes(ihdr[4..8].try_into().unwrap()) as usize;
		assert_eq!(&ihdr[8..], &[2, 3, 0, 0, 0]);
		assert_eq!(&idat[..2], &[0x78, 0x01]);
		let (mut raw, mut at) = (Vec::new(), 2);
		loop {
			let last = idat[at] & 1 == 1;
			let len = u16::from_le_bytes([idat[at + 1], idat[at + 2]]) as usize;
			assert_eq!(!(len as u16), u16::from_le_bytes([idat[at + 3], idat[at + 4]]));
			raw.extend_from_slice(&idat[at + 5..at + 5 + len]);
			at += 5 + len;
			if last {
				break;
			}
		}
		let adler = u32::from_be_bytes(idat[at..at + 4].try_into().unwrap());
		let again = zlib_stored(&raw);
		assert_eq!(&again[again.len() - 4..], &adler.to_be_bytes());
		let row_bytes = width.div_ceil(4);
		let mut pixels = Vec::new();
		for row in raw.chunks(row_bytes + 1) {
			assert_eq!(row[0], 0, "filter byte");
			for x in 0..width {
				pixels.push((row[1 + x / 4] >> (6 - 2 * (x % 4))) & 3);
			}
		}
		assert_eq!(pixels.len(), width * height);
		(width, height, pixels)
	}

	#[test]
	fn png_round_trips_pixels_across_several_stored_blocks() {
		// 700 × 400 at 2 bits is 70,400 bytes of scanlines: two stored blocks.
		let mut c = Canvas::new(701, 400);
		c.rect(10, 20, 30, 40, BLUE);
		c.rect(690, 390, 50, 50, ORANGE); // clipped at the edge
		c.text(100, 100, "UID 42", 2, BLACK);
		let (w, h, pixels) = decode(&c.encode());
		assert_eq!((w, h), (701, 400));
		assert_eq!(pixels, c.pixels);
		assert_eq!(pixels[20 * 701 + 10], BLUE);
		assert_eq!(pixels[399 * 701 + 700], ORANGE);
		assert!(pixels[100 * 701..110 * 701].contains(&BLACK), "text drawn");
	}

	#[test]
	fn crc_and_empty_zlib_match_known_values() {
		assert_eq!(crc32(b"IEND"), 0xAE42_6082);
		assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
		assert_eq!(zlib_stored(&[]), vec![0x78, 0x01, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 1]);
	}

	#[test]
	fn every_label_character_has_a_glyph() {
		for ch in "subnet 0123456789 at block: incentive (blue) and dividends (orange) per UID 1.0"
			.chars()
			.filter(|c| *c != ' ')
		{
			assert!(glyph(ch).is_some(), "{ch:?}");
		}
	}
}
