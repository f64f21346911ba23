//! Q8_0 matrix products on the CPU, for [`crate::llama`].
//!
//! A weight matrix is held in ggml's Q8_0 quantization (blocks of 32 values sharing one scale:
//! `value ≈ d · q`, `q` in −127..=127, `d = max|value| / 127`; the blocks are made by candle's own
//! quantizer, [`QTensor::quantize`]) but unpacked: the int8 quants of a row contiguous, the
//! scales in their own `f32` array. Activations are quantized the same way per row (as ggml and
//! candle do before a Q8_0 dot product), so each block's dot product is exact integer arithmetic
//! and only the sum of the scaled block results depends on the order of additions.
//!
//! Why not candle's kernel: candle 0.11's `vec_dot_q8_0_q8_0` is AVX2 only, takes one block a
//! step and converts both `f16` scales through a function call each block; profiled on SmolLM2
//! decoding it was 57% of the time. The kernels here use AVX-512 VNNI (`vpdpbusd`, 64 products
//! an instruction) where the CPU has it, AVX2 (`vpmaddubsw`) elsewhere on x86-64, and plain Rust
//! otherwise, and work on four weight rows at once so each activation load serves four rows.
//! Every kernel is checked against the plain one and against candle's own Q8_0 matmul (tests
//! below).

use std::sync::OnceLock;

use candle_core::{
	quantized::{GgmlDType, QTensor},
	Device,
};
use half::f16;
use rayon::prelude::*;

/// Values per Q8_0 block.
pub const BLOCK: usize = 32;
/// Bytes of one Q8_0 block as ggml stores it: an `f16` scale, then 32 `i8` quants.
const BLOCK_BYTES: usize = 2 + BLOCK;

/// A `rows × cols` weight matrix in Q8_0 blocks along each row (`cols` a multiple of
/// [`BLOCK`]); `y = W·x` for each activation row `x`.
#[derive(Clone)]
pub struct Q8Matrix {
	rows: usize,
	cols: usize,
	/// `rows · cols` quants, row-major.
	qs: Vec<i8>,
	/// `rows · cols / 32` block scales (`f16` in the file, widened exactly).
	scales: Vec<f32>,
}

impl std::fmt::Debug for Q8Matrix {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "Q8Matrix({}×{})", self.rows, self.cols)
	}
}

/// Why a tensor cannot become a [`Q8Matrix`].
fn shape_error(why: String) -> candle_core::Error {
	candle_core::Error::Msg(why)
}

impl Q8Matrix {
	/// The 2-D tensor `t` (`rows × cols`, any GGML type) in Q8_0: taken as it is when already
	/// Q8_0, else dequantized and quantized again by candle. Errors when `t` is not 2-D or its
	/// rows do not divide into blocks of 32.
	pub fn from_qtensor(t: &QTensor) -> candle_core::Result<Self> {
		let (rows, cols) = t.shape().dims2()?;
		if !cols.is_multiple_of(BLOCK) {
			return Err(shape_error(format!(
				"rows of {cols} values do not divide into Q8_0 blocks"
			)));
		}
		let requantized;
		let t = if t.dtype() == GgmlDType::Q8_0 {
			t
		} else {
			requantized = QTensor::quantize(&t.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)?;
			&requantized
		};
		let raw = t.data()?;
		Self::from_ggml_bytes(rows, cols, &raw)
	}

	/// From ggml's Q8_0 bytes (34 a block: little-endian `f16` scale, 32 quants).
	fn from_ggml_bytes(rows: usize, cols: usize, raw: &[u8]) -> candle_core::Result<Self> {
		let blocks = rows * cols / BLOCK;
		if raw.len() != blocks * BLOCK_BYTES {
			return Err(shape_error(format!(
				"{} bytes for {rows}×{cols} Q8_0 values (want {})",
				raw.len(),
				blocks * BLOCK_BYTES
			)));
		}
		let mut qs = Vec::with_capacity(rows * cols);
		let mut scales = Vec::with_capacity(blocks);
		for block in raw.chunks_exact(BLOCK_BYTES) {
			let d = f16::from_le_bytes([block[0], block[1]]).to_f32();
			// ggml's and candle's quantizers write −127..=127; −128 (which the SIMD kernels'
			// sign trick cannot negate) or a non-finite scale only comes from a crafted file.
			if !d.is_finite() || block[2..].iter().any(|&b| b as i8 == i8::MIN) {
				return Err(shape_error("a Q8_0 block holds -128 or a non-finite scale".into()));
			}
			scales.push(d);
			qs.extend(block[2..].iter().map(|&b| b as i8));
		}
		Ok(Self { rows, cols, qs, scales })
	}

	/// Rows concatenated: `[a; b; ...]`, all with the same number of columns (to run several
	/// products of the same input as one, e.g. the query, key and value projections).
	pub fn stack(parts: &[Self]) -> candle_core::Result<Self> {
		let cols = parts.first().map_or(0, |p| p.cols);
		if parts.iter().any(|p| p.cols != cols) {
			return Err(shape_error("stacked matrices differ in columns".into()));
		}
		Ok(Self {
			rows: parts.iter().map(|p| p.rows).sum(),
			cols,
			qs: parts.iter().flat_map(|p| p.qs.iter().copied()).collect(),
			scales: parts.iter().flat_map(|p| p.scales.iter().copied()).collect(),
		})
	}

	/// Output size (rows of `W`).
	pub fn rows(&self) -> usize {
		self.rows
	}

	/// Input size (columns of `W`).
	pub fn cols(&self) -> usize {
		self.cols
	}

	/// Row `r` dequantized into `out` (`cols` values): an embedding lookup.
	pub fn row_into(&self, r: usize, out: &mut [f32]) {
		let qs = &self.qs[r * self.cols..(r + 1) * self.cols];
		let scales = &self.scales[r * self.cols / BLOCK..(r + 1) * self.cols / BLOCK];
		for ((out, qs), &d) in out.chunks_exact_mut(BLOCK).zip(qs.chunks_exact(BLOCK)).zip(scales) {
			for (o, &q) in out.iter_mut().zip(qs) {
				*o = q as f32 * d;
			}
		}
	}

	/// `out[i · rows + j] = W[j] · x[i]` for every activation row `i` of `x` and every row `j`
	/// of `W`: `out` is `x.rows() × self.rows()`, row-major. The rows of `W` are split across
	/// the current rayon pool. Panics when `x.cols() != self.cols()` or `out` has the wrong
	/// length.
	pub fn matmul(&self, x: &Activations, out: &mut [f32], scratch: &mut Vec<f32>) {
		assert_eq!(
			x.cols, self.cols,
			"activations of {} values for a {}×{} matrix",
			x.cols, self.rows, self.cols
		);
		let m = x.rows;
		assert_eq!(
			out.len(),
			m * self.rows,
			"output of {} values for {m}×{}",
			out.len(),
			self.rows
		);
		if m == 0 || self.rows == 0 {
			return;
		}
		let kernel = Kernel::detect();
		// Rows of W per task: a multiple of 4, about 4 tasks a thread.
		let tasks = 4 * rayon::current_num_threads();
		let chunk = self.rows.div_ceil(tasks).next_multiple_of(4).max(4);
		if m == 1 {
			out.par_chunks_mut(chunk)
				.enumerate()
				.for_each(|(c, out)| self.rows_times(kernel, c * chunk, x, 0, out, 1));
			return;
		}
		// Several activation rows: each task takes its rows of W against every activation row
		// (its weights stay in cache), writing `W-row-major`, transposed afterwards.
		scratch.clear();
		scratch.resize(m * self.rows, 0.0);
		scratch.par_chunks_mut(chunk * m).enumerate().for_each(|(c, out_t)| {
			let first = c * chunk;
			for i in 0..m {
				self.rows_times(kernel, first, x, i, &mut out_t[i..], m)
			}
		});
		for (j, col) in scratch.chunks_exact(m).enumerate() {
			for (i, &v) in col.iter().enumerate() {
				out[i * self.rows + j] = v;
			}
		}
	}

	/// `out[s · stride] = W[first + s] · x[i]` for `s` in `0..n`, `n = ⌈out.len() / stride⌉`.
	fn rows_times(
		&self,
		kernel: Kernel,
		first: usize,
		x: &Activations,
		i: usize,
		out: &mut [f32],
		stride: usize,
	) {
		let k = self.cols;
		let kb = k / BLOCK;
		let n = out.len().div_ceil(stride);
		let xq = &x.qs[i * k..(i + 1) * k];
		let xs = &x.scales[i * kb..(i + 1) * kb];
		let row = |j: usize| -> (&[i8], &[f32]) {
			(&self.qs[j * k..(j + 1) * k], &self.scales[j * kb..(j + 1) * kb])
		};
		let mut s = 0;
		while s + 4 <= n {
			let rows = [row(first + s), row(first + s + 1), row(first + s + 2), row(first + s + 3)];
			let dots = kernel.dot4(rows, xq, xs);
			for (t, d) in dots.into_iter().enumerate() {
				out[(s + t) * stride] = d;
			}
			s += 4;
		}
		// The last rows (fewer than four) through the same kernel, so every output is added in
		// the same order.
		while s < n {
			let r = row(first + s);
			out[s * stride] = kernel.dot4([r, r, r, r], xq, xs)[0];
			s += 1;
		}
	}
}

/// Activation rows quantized to Q8_0 blocks, for [`Q8Matrix::matmul`]; its buffers are reused
/// from call to call.
#[derive(Debug, Default, Clone)]
pub struct Activations {
	rows: usize,
	cols: usize,
	qs: Vec<i8>,
	scales: Vec<f32>,
}

impl Activations {
	/// Quantizes `x` (`rows × cols`, row-major, `cols` a multiple of 32) as candle's
	/// `BlockQ8_0::from_float` does: per block `d = max|x| / 127`, `q = round(x / d)` (ties away
	/// from zero), and the scale kept as `f16` (so the products equal candle's).
	pub fn quantize(&mut self, x: &[f32], rows: usize, cols: usize) {
		assert!(cols.is_multiple_of(BLOCK) && x.len() == rows * cols, "{rows}×{cols} activations");
		self.rows = rows;
		self.cols = cols;
		self.qs.resize(rows * cols, 0);
		self.scales.resize(rows * cols / BLOCK, 0.0);
		// Split over the current rayon pool, 8 blocks a task (each block on its own: the same
		// result however it is split).
		const BLOCKS: usize = 8;
		x.par_chunks(BLOCK * BLOCKS)
			.zip(self.qs.par_chunks_mut(BLOCK * BLOCKS))
			.zip(self.scales.par_chunks_mut(BLOCKS))
			.for_each(|((x, qs), scales)| {
				for ((x, q), s) in x.chunks_exact(BLOCK).zip(qs.chunks_exact_mut(BLOCK)).zip(scales)
				{
					let amax = x.iter().fold(0f32, |a, v| a.max(v.abs()));
					let d = amax / 127.0;
					let id = if d != 0.0 { 1.0 / d } else { 0.0 };
					for (q, &v) in q.iter_mut().zip(x) {
						*q = round_to_i8(v * id);
					}
					*s = f16::from_f32(d).to_f32();
				}
			});
	}

	/// Rows quantized by the last [`Self::quantize`].
	pub fn rows(&self) -> usize {
		self.rows
	}

	/// Values a row.
	pub fn cols(&self) -> usize {
		self.cols
	}
}

/// `x.round() as i8` (half away from zero, saturating, NaN to 0) without a call to the C
/// library's `roundf` (x86-64's baseline has no instruction for it): truncate, then step away
/// from zero when the dropped fraction (exact: `|x| ≤ 128 < 2^23`) is at least one half.
#[inline]
fn round_to_i8(x: f32) -> i8 {
	let x = x.clamp(-128.0, 127.0);
	let t = x as i32;
	let frac = x - t as f32;
	let r = if frac >= 0.5 {
		t + 1
	} else if frac <= -0.5 {
		t - 1
	} else {
		t
	};
	r as i8
}

/// One row's dot product in plain Rust: exact integer block sums, scaled and added in order.
///
/// Every kernel adds in this one order (so that machines with different CPUs compute the same
/// bits): 16 lanes of `f32`; lane `l < 8` takes the even blocks, lane `8 + l` the odd ones; each
/// block adds to each of its 8 lanes the exact integer sum of 4 neighbouring products (values
/// `4l..4l+4`) times the block's `d_w · d_x`, by a fused multiply-add; the lanes are then summed
/// halves first ([`fold16`]).
fn dot_plain(wq: &[i8], ws: &[f32], xq: &[i8], xs: &[f32]) -> f32 {
	let mut acc = [0f32; 16];
	for (b, (w, x)) in wq.chunks_exact(BLOCK).zip(xq.chunks_exact(BLOCK)).enumerate() {
		let scale = ws[b] * xs[b];
		let lanes = &mut acc[8 * (b % 2)..8 * (b % 2) + 8];
		for (lane, (w, x)) in lanes.iter_mut().zip(w.chunks_exact(4).zip(x.chunks_exact(4))) {
			let dot: i32 = w.iter().zip(x).map(|(&a, &b)| a as i32 * b as i32).sum();
			*lane = (dot as f32).mul_add(scale, *lane);
		}
	}
	fold16(acc)
}

/// The sum of 16 lanes in the order every kernel uses: `a[i] + a[i + 8]`, then the same on the
/// 8, 4 and 2 that are left.
fn fold16(a: [f32; 16]) -> f32 {
	let mut v = a;
	let mut n = 16;
	while n > 1 {
		n /= 2;
		for i in 0..n {
			v[i] += v[i + n];
		}
	}
	v[0]
}

/// The dot-product kernel the CPU allows, chosen once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
	/// AVX-512 with VNNI (`avx512f`, `avx512bw`, `avx512vnni`): 64 products an instruction.
	Avx512Vnni,
	/// AVX2 and FMA: `vpmaddubsw` on 32 values.
	Avx2,
	/// Plain Rust.
	Plain,
}

impl Kernel {
	/// The fastest kernel this CPU runs, or the one `AGORA_Q8_KERNEL` names (`avx512vnni`,
	/// `avx2` or `plain`) where the CPU runs it. All three return the same bits (they add in
	/// [`dot_plain`]'s order), so a validator and a miner on different CPUs get the same logits
	/// from the same weights; the choice only changes the speed.
	pub fn detect() -> Self {
		static KERNEL: OnceLock<Kernel> = OnceLock::new();
		*KERNEL.get_or_init(|| {
			let available = Self::available();
			let wanted = std::env::var("AGORA_Q8_KERNEL").ok();
			available
				.iter()
				.copied()
				.find(|k| wanted.as_deref().is_some_and(|w| w.eq_ignore_ascii_case(k.name())))
				.unwrap_or(available[0])
		})
	}

	/// The kernel's name, as `AGORA_Q8_KERNEL` takes it.
	pub fn name(self) -> &'static str {
		match self {
			Self::Avx512Vnni => "avx512vnni",
			Self::Avx2 => "avx2",
			Self::Plain => "plain",
		}
	}

	/// Every kernel this CPU runs, fastest first ([`Kernel::Plain`] always last).
	pub fn available() -> Vec<Self> {
		let mut kernels = Vec::new();
		#[cfg(target_arch = "x86_64")]
		{
			if is_x86_feature_detected!("avx512f")
				&& is_x86_feature_detected!("avx512bw")
				&& is_x86_feature_detected!("avx512vnni")
			{
				kernels.push(Self::Avx512Vnni);
			}
			if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
				kernels.push(Self::Avx2);
			}
		}
		kernels.push(Self::Plain);
		kernels
	}

	/// Four weight rows (quants, scales) against one activation row.
	fn dot4(self, rows: [(&[i8], &[f32]); 4], xq: &[i8], xs: &[f32]) -> [f32; 4] {
		match self {
			#[cfg(target_arch = "x86_64")]
			// SAFETY: `detect`/`available` chose this kernel only where the CPU has the features.
			Self::Avx512Vnni => unsafe { x86::dot4_avx512vnni(rows, xq, xs) },
			#[cfg(target_arch = "x86_64")]
			// SAFETY: as above.
			Self::Avx2 => unsafe { x86::dot4_avx2(rows, xq, xs) },
			_ => rows.map(|(wq, ws)| dot_plain(wq, ws, xq, xs)),
		}
	}
}

#[cfg(target_arch = "x86_64")]
mod x86 {
	use std::arch::x86_64::*;

	use super::BLOCK;

	/// Lanes 0–7 take element 0 of the source, lanes 8–15 element 1.
	const PAIR_INDEX: [i32; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];

	/// `[v[i], v[i + 1], 0, 0]`, read unaligned (a `Vec<f32>` is only 4-byte aligned).
	#[inline(always)]
	unsafe fn pair(v: &[f32], i: usize) -> __m128 {
		debug_assert!(i + 1 < v.len());
		_mm_castsi128_ps(_mm_loadl_epi64(v.as_ptr().add(i).cast()))
	}

	/// Two blocks (64 values) at a time: `vpdpbusd` multiplies unsigned by signed bytes, so the
	/// activation's absolute values go unsigned and its signs move onto the weights
	/// (`w · x = |x| · (sign(x) · w)`; quants are in −127..=127, so no overflow). Each 32-bit
	/// lane then holds 4 products; lanes 0–7 belong to the first block, 8–15 to the second, and
	/// are scaled by that block's `d_w · d_x` in `f32`: the order of [`super::dot_plain`]. An odd
	/// last block is loaded into the low half only.
	#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
	pub(super) unsafe fn dot4_avx512vnni(
		rows: [(&[i8], &[f32]); 4],
		xq: &[i8],
		xs: &[f32],
	) -> [f32; 4] {
		let k = xq.len();
		debug_assert!(
			xs.len() * BLOCK == k && rows.iter().all(|(w, d)| w.len() == k && d.len() == xs.len())
		);
		let pairs = k / (2 * BLOCK);
		let index = _mm512_loadu_si512(PAIR_INDEX.as_ptr().cast());
		let mut acc = [_mm512_setzero_ps(); 4];
		for p in 0..pairs {
			let off = p * 2 * BLOCK;
			let x = _mm512_loadu_si512(xq.as_ptr().add(off).cast());
			let ax = _mm512_abs_epi8(x);
			let negative = _mm512_movepi8_mask(x);
			let xd = pair(xs, 2 * p);
			for r in 0..4 {
				let (wq, ws) = rows[r];
				let w = _mm512_loadu_si512(wq.as_ptr().add(off).cast());
				let w = _mm512_mask_sub_epi8(w, negative, _mm512_setzero_si512(), w);
				let dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ax, w);
				let wd = pair(ws, 2 * p);
				let scale =
					_mm512_permutexvar_ps(index, _mm512_castps128_ps512(_mm_mul_ps(wd, xd)));
				acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc[r]);
			}
		}
		if !k.is_multiple_of(2 * BLOCK) {
			// The odd last block: lanes 0–7 only (a 32-byte masked load; the upper lanes add 0).
			let off = pairs * 2 * BLOCK;
			let half: __mmask64 = 0xFFFF_FFFF;
			let x = _mm512_maskz_loadu_epi8(half, xq.as_ptr().add(off).cast());
			let ax = _mm512_abs_epi8(x);
			let negative = _mm512_movepi8_mask(x);
			let xd = *xs.get_unchecked(2 * pairs);
			for r in 0..4 {
				let (wq, ws) = rows[r];
				let w = _mm512_maskz_loadu_epi8(half, wq.as_ptr().add(off).cast());
				let w = _mm512_mask_sub_epi8(w, negative, _mm512_setzero_si512(), w);
				let dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ax, w);
				let scale =
					_mm512_maskz_mov_ps(0x00FF, _mm512_set1_ps(*ws.get_unchecked(2 * pairs) * xd));
				acc[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc[r]);
			}
		}
		acc.map(|a| {
			let mut lanes = [0f32; 16];
			_mm512_storeu_ps(lanes.as_mut_ptr(), a);
			super::fold16(lanes)
		})
	}

	/// One block (32 values) at a time: `vpmaddubsw` of `|x|` with `sign(x) · w` (pairs of
	/// products, at most 2 · 127 · 127 < 2^15), summed to 32-bit lanes by `vpmaddwd`, scaled in
	/// `f32`.
	#[target_feature(enable = "avx2,fma")]
	pub(super) unsafe fn dot4_avx2(rows: [(&[i8], &[f32]); 4], xq: &[i8], xs: &[f32]) -> [f32; 4] {
		let blocks = xq.len() / BLOCK;
		debug_assert!(
			xs.len() == blocks
				&& rows.iter().all(|(w, d)| w.len() == xq.len() && d.len() == blocks)
		);
		let ones = _mm256_set1_epi16(1);
		// Lanes 0–7 (even blocks) and 8–15 (odd blocks) of the canonical order, per row.
		let mut acc = [[_mm256_setzero_ps(); 2]; 4];
		for b in 0..blocks {
			let x = _mm256_loadu_si256(xq.as_ptr().add(b * BLOCK).cast());
			let ax = _mm256_sign_epi8(x, x);
			let xd = *xs.get_unchecked(b);
			for r in 0..4 {
				let (wq, ws) = rows[r];
				let w = _mm256_loadu_si256(wq.as_ptr().add(b * BLOCK).cast());
				let sw = _mm256_sign_epi8(w, x);
				let dot = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sw), ones);
				let scale = _mm256_set1_ps(*ws.get_unchecked(b) * xd);
				let a = &mut acc[r][b % 2];
				*a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), scale, *a);
			}
		}
		acc.map(|[even, odd]| {
			let mut lanes = [0f32; 16];
			_mm256_storeu_ps(lanes.as_mut_ptr(), even);
			_mm256_storeu_ps(lanes.as_mut_ptr().add(8), odd);
			super::fold16(lanes)
		})
	}
}

#[cfg(test)]
mod tests {
	use candle_core::{Module, Tensor};
	use rand::{Rng, SeedableRng};

	use super::*;

	fn random(n: usize, seed: u64) -> Vec<f32> {
		let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
		(0..n).map(|_| rng.gen_range(-1.0f32..1.0) * rng.gen_range(0.0f32..3.0)).collect()
	}

	/// candle's own Q8_0 product of `x` (`m × k`) with the `n × k` matrix `w`: the reference.
	fn candle_matmul(w: &[f32], n: usize, k: usize, x: &[f32], m: usize) -> Vec<f32> {
		let wt = Tensor::from_slice(w, (n, k), &Device::Cpu).unwrap();
		let q = QTensor::quantize(&wt, GgmlDType::Q8_0).unwrap();
		let mm = candle_core::quantized::QMatMul::from_qtensor(q).unwrap();
		let xt = Tensor::from_slice(x, (m, k), &Device::Cpu).unwrap();
		mm.forward(&xt).unwrap().flatten_all().unwrap().to_vec1().unwrap()
	}

	fn ours(
		w: &[f32],
		n: usize,
		k: usize,
		x: &[f32],
		m: usize,
		kernel: Option<Kernel>,
	) -> Vec<f32> {
		let wt = Tensor::from_slice(w, (n, k), &Device::Cpu).unwrap();
		let q = QTensor::quantize(&wt, GgmlDType::Q8_0).unwrap();
		let matrix = Q8Matrix::from_qtensor(&q).unwrap();
		let mut acts = Activations::default();
		acts.quantize(x, m, k);
		match kernel {
			None => {
				let mut out = vec![0.0; m * n];
				matrix.matmul(&acts, &mut out, &mut Vec::new());
				out
			},
			Some(kernel) => {
				let mut out = vec![0.0; m * n];
				for i in 0..m {
					matrix.rows_times(kernel, 0, &acts, i, &mut out[i * n..(i + 1) * n], 1);
				}
				out
			},
		}
	}

	fn max_rel(a: &[f32], b: &[f32]) -> f32 {
		let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
		a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
	}

	/// Every kernel the CPU has, on odd and even block counts and row counts not a multiple of
	/// four, against the plain kernel and against candle's Q8_0 matmul.
	#[test]
	fn kernels_match_plain_and_candle() {
		for (n, k, m) in [(7, 64, 1), (13, 96, 3), (960, 576, 1), (66, 1536, 5), (5, 32, 2)] {
			let w = random(n * k, 1 + n as u64);
			let x = random(m * k, 2 + k as u64);
			let reference = candle_matmul(&w, n, k, &x, m);
			let plain = ours(&w, n, k, &x, m, Some(Kernel::Plain));
			assert!(
				max_rel(&plain, &reference) < 1e-5,
				"plain {n}×{k}, m {m}: {}",
				max_rel(&plain, &reference)
			);
			for kernel in Kernel::available() {
				// The same bits, not just close: every kernel adds in one order.
				let got = ours(&w, n, k, &x, m, Some(kernel));
				let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
				assert_eq!(bits(&got), bits(&plain), "{kernel:?} {n}×{k}, m {m}");
			}
			let threaded = ours(&w, n, k, &x, m, None);
			assert!(max_rel(&threaded, &reference) < 1e-5, "matmul {n}×{k}, m {m}");
		}
	}

	#[test]
	fn extreme_values_do_not_overflow() {
		// Every quant at ±127 with the worst sign pattern, and an all-zero block.
		let (n, k) = (4, 128);
		let mut w = vec![1.0f32; n * k];
		let mut x: Vec<f32> = (0..k).map(|i| if i % 2 == 0 { -1.0 } else { 1.0 }).collect();
		for (i, v) in w.iter_mut().enumerate() {
			if i % 2 == 0 {
				*v = -1.0;
			}
		}
		x[96..].fill(0.0);
		// 96 products of +1: 96 · (127 · d)² with d the f16 nearest 1/127.
		let plain = ours(&w, n, k, &x, 1, Some(Kernel::Plain));
		assert!(plain.iter().all(|v| (v - 96.0).abs() < 0.05), "{plain:?}");
		for kernel in Kernel::available() {
			let got = ours(&w, n, k, &x, 1, Some(kernel));
			assert_eq!(got, plain, "{kernel:?}");
		}
	}

	/// The quick rounding is `round() as i8` on every value a quantized activation can meet.
	#[test]
	fn round_to_i8_is_round() {
		let mut values = vec![f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 0.0, -0.0, 1e30, -1e30];
		for i in -300..=300 {
			let h = i as f32 / 2.0;
			for v in
				[h, f32::from_bits(h.to_bits() + 1), f32::from_bits(h.to_bits().wrapping_sub(1))]
			{
				values.push(v);
			}
		}
		values.extend([0.49999997, -0.49999997, 126.5, -127.5, 127.49999, -128.5]);
		for v in values {
			assert_eq!(round_to_i8(v), v.round() as i8, "{v}");
		}
	}

	#[test]
	fn rows_and_stacking() {
		let (n, k) = (3, 64);
		let w = random(n * k, 9);
		let q = QTensor::quantize(
			&Tensor::from_slice(&w, (n, k), &Device::Cpu).unwrap(),
			GgmlDType::Q8_0,
		)
		.unwrap();
		let a = Q8Matrix::from_qtensor(&q).unwrap();
		let both = Q8Matrix::stack(&[a.clone(), a.clone()]).unwrap();
		assert_eq!((both.rows(), both.cols()), (6, 64));
		let reference: Vec<f32> =
			q.dequantize(&Device::Cpu).unwrap().flatten_all().unwrap().to_vec1().unwrap();
		let mut row = vec![0.0; k];
		both.row_into(4, &mut row);
		assert_eq!(row, reference[k..2 * k]);
		let mut raw = q.data().unwrap().to_vec();
		raw[2] = 0x80;
		let err = Q8Matrix::from_ggml_bytes(n, k, &raw).expect_err("-128");
		assert!(err.to_string().contains("-128"), "{err}");
		let odd = QTensor::quantize(
			&Tensor::zeros((2, 48), candle_core::DType::F32, &Device::Cpu).unwrap(),
			GgmlDType::F32,
		)
		.unwrap();
		assert!(Q8Matrix::from_qtensor(&odd).is_err());
	}
}
