//! Sentence meaning without a model at run time: a static embedding table distilled from the
//! all-MiniLM-L6-v2 sentence transformer (`models/minilm-static/`, rebuilt by its `build.py`).
//!
//! A sentence is split the way BERT's uncased tokenizer splits it (lowercase, accents stripped,
//! punctuation and CJK characters apart, greedy longest-match WordPiece), each piece looks up one
//! row of the table, and the rows are summed and normalised. That costs microseconds, so every
//! sentence of every answer can be compared with the concepts' example phrasings, and paraphrase
//! ("a durable log we can rewind and read again") finds the concept its words never name.

use std::collections::HashMap;
use std::sync::OnceLock;

static VECTORS: &[u8] = include_bytes!("../../../models/minilm-static/vectors.bin");
static VOCAB: &str = include_str!("../../../models/minilm-static/vocab.txt");

/// Longest word WordPiece splits; longer ones are unknown (BERT's own rule).
const MAX_WORD_CHARS: usize = 100;

/// A fixed, fast string hash for the vocabulary: its keys are the table's own words, so the
/// flooding resistance of the default hasher buys nothing, and hashing was a tenth of analysis.
#[derive(Default, Clone, Copy)]
pub(crate) struct WordHasher(u64);

impl std::hash::Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Vocab = HashMap<&'static str, u32, std::hash::BuildHasherDefault<WordHasher>>;

/// A map whose keys are the bank's own words (the candidate's words are only looked up), so
/// the fixed fast hash is safe.
pub(crate) type WordMap<V> = HashMap<String, V, std::hash::BuildHasherDefault<WordHasher>>;

/// The distilled table: one int8 row per wordpiece with a scale.
pub struct Table {
    vocab: Vocab,
    dim: usize,
    scales: Vec<f32>,
    rows: &'static [u8],
    unk: u32,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("vocab", &self.vocab.len())
            .field("dim", &self.dim)
            .finish()
    }
}

/// The embedded table, parsed once. It is part of the binary, so a malformed table is a build
/// defect caught by the test suite, never a user's problem.
pub fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| Table::parse(VECTORS, VOCAB).expect("the embedded table is well formed"))
}

impl Table {
    fn parse(bytes: &'static [u8], vocab: &'static str) -> Option<Table> {
        if bytes.get(..8)? != b"PPSE0001" {
            return None;
        }
        let u32_at = |o: usize| -> Option<u32> {
            Some(u32::from_le_bytes(bytes.get(o..o + 4)?.try_into().ok()?))
        };
        let n = u32_at(8)? as usize;
        let dim = u32_at(12)? as usize;
        let scales_end = 16 + 4 * n;
        let scales: Vec<f32> = bytes
            .get(16..scales_end)?
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let rows = bytes.get(scales_end..scales_end + n * dim)?;
        let words: Vocab = vocab
            .lines()
            .enumerate()
            .map(|(i, w)| (w, i as u32))
            .collect();
        if vocab.lines().count() != n {
            return None;
        }
        let unk = *words.get("[UNK]")?;
        Some(Table {
            vocab: words,
            dim,
            scales,
            rows,
            unk,
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// WordPiece ids of a text, without `[CLS]`/`[SEP]`.
    pub fn ids(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut scratch = Scratch::default();
        basic_words(text, &mut |word| {
            self.wordpiece(word, &mut scratch, &mut out)
        });
        out
    }

    /// Greedy longest-match-first pieces of one word; a word with an unknown part is one
    /// `[UNK]`. Works on byte offsets at character boundaries, with no allocation per try.
    fn wordpiece(&self, word: &str, scratch: &mut Scratch, out: &mut Vec<u32>) {
        let bounds = &mut scratch.bounds;
        bounds.clear();
        bounds.extend(word.char_indices().map(|(i, _)| i));
        bounds.push(word.len());
        let chars = bounds.len() - 1;
        if chars > MAX_WORD_CHARS {
            out.push(self.unk);
            return;
        }
        let first_piece = out.len();
        let mut start = 0;
        while start < chars {
            let mut end = chars;
            let mut found = None;
            while start < end {
                let piece = &word[bounds[start]..bounds[end]];
                let id = if start == 0 {
                    self.vocab.get(piece)
                } else {
                    scratch.key.clear();
                    scratch.key.push_str("##");
                    scratch.key.push_str(piece);
                    self.vocab.get(scratch.key.as_str())
                };
                if let Some(id) = id {
                    found = Some(*id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(first_piece);
                    out.push(self.unk);
                    return;
                }
            }
        }
    }

    /// The sentence vector: the sum of its pieces' rows, normalised (all zeros for no pieces).
    pub fn embed(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dim];
        let avx = has_avx();
        for id in self.ids(text) {
            let i = id as usize;
            let row = &self.rows[i * self.dim..(i + 1) * self.dim];
            add_row_here(&mut v, self.scales[i], row, avx);
        }
        normalise(&mut v);
        v
    }
}

pub fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// How many rows [`Rows`] scores at once: two SSE registers' worth of independent sums. A
/// concept has about five example phrasings and gets a block of its own, so wider blocks would
/// mostly add up padding.
const LANES: usize = 8;

/// Dimensions per segment of a row; each segment's norm bounds what the rest of a dot product
/// can still add.
const SEGMENT: usize = 32;

/// Segments summed before the first check whether a block can still reach the floor: the table
/// is a PCA, so the leading dimensions carry most of each similarity and the rest little. Chosen
/// by counting instructions on the 2,000-word turn (with AVX): checking from the 3rd, 4th, 5th
/// or 6th segment on cost 9.5M, 8.9M, 8.7M and 9.1M; earlier checks rarely find all 32 rows of
/// four blocks out of reach, so they are mostly wasted.
const FIRST_CHECK: usize = 5;

/// The bound's margin, relative to the product of the two vectors' norms: far above the
/// rounding of 256 single-precision additions (about 1.5e-5), so a block is never cut short when
/// its exact similarity could reach the floor.
const MARGIN: f32 = 1e-3;

/// Vectors stored [`LANES`] rows at a time, dimension by dimension, so one vector's similarity
/// with a whole block is computed in SIMD lanes (a plain `dot` is one long chain of dependent
/// additions the compiler may not reorder). Each lane still adds its products in the order `dot`
/// does, from the same start, so every similarity is the same number to the bit and the readings
/// that depend on them cannot change.
#[derive(Debug, Default)]
pub struct Rows {
    dim: usize,
    /// `dim` columns per block; a block's unused lanes are zeros.
    blocks: Vec<[f32; LANES]>,
    /// Per block, each lane's norm over each [`SEGMENT`] of dimensions (`segments(dim)` entries
    /// per block), then the lane's whole norm.
    norms: Vec<[f32; LANES]>,
}

/// The number of [`SEGMENT`]s of `dim` dimensions.
fn segments(dim: usize) -> usize {
    dim.div_ceil(SEGMENT)
}

/// The norm of each [`SEGMENT`] of `v`, then the norm of the whole.
fn segment_norms(v: &[f32]) -> Vec<f32> {
    let mut out: Vec<f32> = v
        .chunks(SEGMENT)
        .map(|c| c.iter().map(|x| x * x).sum::<f32>().sqrt())
        .collect();
    out.push(v.iter().map(|x| x * x).sum::<f32>().sqrt());
    out
}

impl Rows {
    pub fn new(dim: usize) -> Rows {
        Rows {
            dim,
            blocks: Vec::new(),
            norms: Vec::new(),
        }
    }

    /// Appends `vectors` starting at a fresh block; returns the group to pass to
    /// [`Rows::dots`].
    pub fn push_group(&mut self, vectors: &[Vec<f32>]) -> Group {
        let first = self.blocks.len() / self.dim.max(1);
        let per_block = segments(self.dim) + 1;
        for chunk in vectors.chunks(LANES) {
            let base = self.blocks.len();
            self.blocks.resize(base + self.dim, [0.0; LANES]);
            let norms_base = self.norms.len();
            self.norms.resize(norms_base + per_block, [0.0; LANES]);
            for (lane, v) in chunk.iter().enumerate() {
                let v = &v[..v.len().min(self.dim)];
                for (d, x) in v.iter().enumerate() {
                    self.blocks[base + d][lane] = *x;
                }
                // A short vector has fewer segments (the rest stay zero); its whole norm goes
                // last.
                let norms = segment_norms(v);
                if let Some((whole, by_segment)) = norms.split_last() {
                    for (i, n) in by_segment.iter().enumerate() {
                        self.norms[norms_base + i][lane] = *n;
                    }
                    self.norms[norms_base + per_block - 1][lane] = *whole;
                }
            }
        }
        Group {
            first_block: first,
            len: vectors.len(),
        }
    }

    /// `dot(v, row)` for each row of `group`, in order, appended to `out`.
    pub fn dots(&self, v: &[f32], group: Group, out: &mut Vec<f32>) {
        self.dots_from(v, None, &[group], out);
    }

    /// The norms [`Rows::dots_at_least`] needs of the vector it compares.
    pub fn query(&self, v: &[f32]) -> Query {
        let v = &v[..v.len().min(self.dim)];
        let mut norms = segment_norms(v);
        let whole = norms.pop().unwrap_or(0.0);
        norms.resize(segments(self.dim), 0.0);
        Query { norms, whole }
    }

    /// Like [`Rows::dots`] for each of `groups` in turn, except that a row whose similarity is
    /// certainly below `floor` may be given as `f32::NEG_INFINITY`: every row that could reach
    /// `floor` gets the very number `dot` gives. Blocks of rows stop adding once the norms of
    /// the dimensions left show that none of their rows can reach `floor` (Cauchy–Schwarz,
    /// segment by segment).
    pub fn dots_at_least(
        &self,
        v: &[f32],
        q: &Query,
        floor: f32,
        groups: &[Group],
        out: &mut Vec<f32>,
    ) {
        self.dots_from(v, Some((q, floor)), groups, out);
    }

    fn dots_from(
        &self,
        v: &[f32],
        bound: Option<(&Query, f32)>,
        groups: &[Group],
        out: &mut Vec<f32>,
    ) {
        if self.dim == 0 {
            for g in groups {
                out.extend(std::iter::repeat_n(0.0, g.len));
            }
            return;
        }
        // Every block of every group with the rows it holds, scored [`AT_ONCE`] at a time.
        let mut blocks: Vec<(usize, usize)> = Vec::new();
        for g in groups {
            let mut left = g.len;
            let mut block = g.first_block;
            while left > 0 {
                let n = left.min(LANES);
                blocks.push((block, n));
                left -= n;
                block += 1;
            }
        }
        let per_block = segments(self.dim) + 1;
        let avx = has_avx();
        for chunk in blocks.chunks(AT_ONCE) {
            // A short last chunk repeats its first block; the copies' sums are not used.
            let pick = |i: usize| chunk.get(i).unwrap_or(&chunk[0]).0;
            let cols: [Block<'_>; AT_ONCE] =
                std::array::from_fn(|i| &self.blocks[pick(i) * self.dim..(pick(i) + 1) * self.dim]);
            let norms: [Block<'_>; AT_ONCE] = std::array::from_fn(|i| {
                &self.norms[pick(i) * per_block..(pick(i) + 1) * per_block]
            });
            match block_dots_here(&cols, v, bound.map(|(q, floor)| (q, &norms, floor)), avx) {
                Some(sums) => {
                    for (&(_, n), sums) in chunk.iter().zip(&sums) {
                        out.extend_from_slice(&sums[..n]);
                    }
                }
                None => {
                    for &(_, n) in chunk {
                        out.extend(std::iter::repeat_n(f32::NEG_INFINITY, n));
                    }
                }
            }
        }
    }
}

/// A vector's norms by segment, for [`Rows::dots_at_least`].
#[derive(Debug, Clone)]
pub struct Query {
    norms: Vec<f32>,
    whole: f32,
}

/// A run of rows of a [`Rows`], in the order they were pushed.
#[derive(Debug, Clone, Copy)]
pub struct Group {
    first_block: usize,
    len: usize,
}

impl Group {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A block's columns, or its norms by segment.
type Block<'a> = &'a [[f32; LANES]];

/// Blocks scored side by side. Each lane's sum is one chain of dependent additions, so a single
/// block waits on the adder's latency at every dimension; four blocks give the processor four
/// independent chains to overlap, and no lane's order of additions changes.
const AT_ONCE: usize = 4;

/// `acc += scale * row`, a quantised row of the table.
#[inline(always)]
fn add_row(acc: &mut [f32], scale: f32, row: &[u8]) {
    for (a, b) in acc.iter_mut().zip(row) {
        *a += scale * f32::from(*b as i8);
    }
}

/// [`add_row`] compiled for AVX, which widens the bytes in one step; each element is the same
/// multiplication and addition, so the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn add_row_avx(acc: &mut [f32], scale: f32, row: &[u8]) {
    add_row(acc, scale, row);
}

/// [`add_row`], with AVX when `avx` says the processor has it.
#[inline]
fn add_row_here(acc: &mut [f32], scale: f32, row: &[u8], avx: bool) {
    #[cfg(target_arch = "x86_64")]
    if avx {
        // SAFETY: `avx` comes from `has_avx`, which asked the processor; `add_row_avx` needs
        // nothing but AVX.
        #[allow(unsafe_code)]
        return unsafe { add_row_avx(acc, scale, row) };
    }
    let _ = avx;
    add_row(acc, scale, row);
}

/// Whether the processor has AVX, asked once.
fn has_avx() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVX.get_or_init(|| std::is_x86_feature_detected!("avx"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`block_dots`] compiled for AVX: a block's eight lanes are one register instead of two, so
/// half the instructions. Multiplications and additions stay separate (no fused multiply-add),
/// each lane in the same order, so every sum is the same number to the bit.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn block_dots_avx(
    cols: &[Block<'_>; AT_ONCE],
    v: &[f32],
    bound: Option<(&Query, &[Block<'_>; AT_ONCE], f32)>,
) -> Option<[[f32; LANES]; AT_ONCE]> {
    block_dots(cols, v, bound)
}

/// [`block_dots`], with AVX when `avx` says the processor has it.
#[inline]
fn block_dots_here(
    cols: &[Block<'_>; AT_ONCE],
    v: &[f32],
    bound: Option<(&Query, &[Block<'_>; AT_ONCE], f32)>,
    avx: bool,
) -> Option<[[f32; LANES]; AT_ONCE]> {
    #[cfg(target_arch = "x86_64")]
    if avx {
        // SAFETY: `avx` comes from `has_avx`, which asked the processor; `block_dots_avx`
        // needs nothing but AVX.
        #[allow(unsafe_code)]
        return unsafe { block_dots_avx(cols, v, bound) };
    }
    let _ = avx;
    block_dots(cols, v, bound)
}

/// The sums of [`AT_ONCE`] blocks: lane `j` of block `k` is `v[0]*c[k][0][j] + v[1]*c[k][1][j] +
/// …`, added left to right from `-0.0` exactly as `Iterator::sum` adds `dot`'s products. With a
/// bound (the query's norms, each block's norms and a floor), `None` as soon as no lane of any
/// block can reach the floor.
#[inline(always)]
fn block_dots(
    cols: &[Block<'_>; AT_ONCE],
    v: &[f32],
    bound: Option<(&Query, &[Block<'_>; AT_ONCE], f32)>,
) -> Option<[[f32; LANES]; AT_ONCE]> {
    // Four named accumulators, so the compiler keeps them in registers.
    let [mut a0, mut a1, mut a2, mut a3] = [[-0.0f32; LANES]; AT_ONCE];
    let dims = cols.iter().map(|c| c.len()).min().unwrap_or(0).min(v.len());
    let mut done = 0;
    let mut segment = 0;
    while done < dims {
        let end = (done + SEGMENT).min(dims);
        let rows = cols[0][done..end]
            .iter()
            .zip(&cols[1][done..end])
            .zip(&cols[2][done..end])
            .zip(&cols[3][done..end]);
        for (&x, (((c0, c1), c2), c3)) in v[done..end].iter().zip(rows) {
            for j in 0..LANES {
                a0[j] += x * c0[j];
                a1[j] += x * c1[j];
                a2[j] += x * c2[j];
                a3[j] += x * c3[j];
            }
        }
        let acc = [a0, a1, a2, a3];
        done = end;
        segment += 1;
        if let Some((q, norms, floor)) = bound
            && segment >= FIRST_CHECK
            && done < dims
            && !acc
                .iter()
                .zip(norms)
                .any(|(acc, norms)| can_reach(acc, q, norms, segment, floor))
        {
            return None;
        }
    }
    Some([a0, a1, a2, a3])
}

/// Whether any lane, having added the first `segment` segments into `acc`, can still reach
/// `floor`: what is left of lane `j` is at most the sum over the remaining segments of the
/// query's norm times the row's norm there.
fn can_reach(
    acc: &[f32; LANES],
    q: &Query,
    norms: &[[f32; LANES]],
    segment: usize,
    floor: f32,
) -> bool {
    let whole = norms[norms.len() - 1];
    let mut most = *acc;
    for (qn, rn) in q.norms.iter().zip(norms).skip(segment) {
        for (m, r) in most.iter_mut().zip(rn) {
            *m += qn * r;
        }
    }
    // A bound that is not a number never cuts.
    most.iter().zip(&whole).any(|(m, w)| {
        let most = m + MARGIN * q.whole * w;
        most >= floor || most.is_nan() || floor.is_nan()
    })
}

/// Buffers [`Table::wordpiece`] reuses from word to word.
#[derive(Default)]
struct Scratch {
    bounds: Vec<usize>,
    key: String,
}

/// BERT's basic tokenizer, uncased: lowercase, accents stripped, control characters dropped,
/// punctuation and CJK ideographs split into words of their own. Each word is passed to `emit`
/// from one reused buffer.
fn basic_words(text: &str, emit: &mut dyn FnMut(&str)) {
    let mut cur = String::new();
    let mut one = [0u8; 4];
    for c in text.chars() {
        // Most text is ASCII: the same outcome as the general rules below, without them.
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                cur.push(c.to_ascii_lowercase());
                continue;
            }
            if c == ' ' {
                if !cur.is_empty() {
                    emit(&cur);
                    cur.clear();
                }
                continue;
            }
        }
        if c == '\0' || c == '\u{fffd}' || (c.is_control() && !c.is_whitespace()) || is_format(c) {
            continue;
        }
        if c.is_whitespace() {
            if !cur.is_empty() {
                emit(&cur);
                cur.clear();
            }
            continue;
        }
        if is_punctuation(c) || is_cjk(c) {
            if !cur.is_empty() {
                emit(&cur);
                cur.clear();
            }
            let mut lower = c.to_lowercase();
            match (lower.next(), lower.next()) {
                (Some(l), None) => emit(l.encode_utf8(&mut one)),
                _ => emit(&c.to_lowercase().collect::<String>()),
            }
            continue;
        }
        for l in c.to_lowercase() {
            match strip_accent(l) {
                Some(base) => cur.push(base),
                None if is_combining(l) => {}
                None => cur.push(l),
            }
        }
    }
    if !cur.is_empty() {
        emit(&cur);
    }
}

fn is_punctuation(c: char) -> bool {
    let u = c as u32;
    (33..=47).contains(&u)
        || (58..=64).contains(&u)
        || (91..=96).contains(&u)
        || (123..=126).contains(&u)
        || (!c.is_alphanumeric() && !c.is_whitespace() && is_unicode_punct(c))
}

/// Unicode general category P* for the blocks candidates type: general punctuation, CJK
/// punctuation, full-width forms. Symbols such as arrows and emoji are not punctuation in BERT
/// and become unknown pieces of their own word.
fn is_unicode_punct(c: char) -> bool {
    matches!(c as u32,
        0x00A1 | 0x00A7 | 0x00AB | 0x00B6 | 0x00B7 | 0x00BB | 0x00BF
        | 0x2010..=0x2027 | 0x2030..=0x205E | 0x3001..=0x3003 | 0x3008..=0x3011
        | 0x3014..=0x301F | 0xFF01..=0xFF03 | 0xFF05..=0xFF0A | 0xFF0C..=0xFF0F
        | 0xFF1A | 0xFF1B | 0xFF1F | 0xFF20 | 0xFF3B..=0xFF3D | 0xFF3F | 0xFF5B | 0xFF5D)
}

/// Unicode format characters (category Cf), which BERT drops like control characters: soft
/// hyphen, zero-width spaces and joiners, direction marks, the byte-order mark.
fn is_format(c: char) -> bool {
    matches!(c as u32, 0x00AD | 0x061C | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E
        | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

fn is_combining(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F)
}

/// The base letter of an accented Latin letter (NFD without the mark), for the letters
/// European names and words use.
fn strip_accent(c: char) -> Option<char> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden() -> serde_json::Value {
        serde_json::from_str(include_str!("../../../models/minilm-static/golden.json")).unwrap()
    }

    /// The Rust tokenizer and table give what the Python build computed for the same sentences
    /// (edge cases: punctuation, accents, numbers with units, emoji, CJK, long words).
    #[test]
    fn matches_the_build_scripts_golden_sentences() {
        let g = golden();
        let t = table();
        assert_eq!(t.dim(), g["dim"].as_u64().unwrap() as usize);
        for s in g["sentences"].as_array().unwrap() {
            let text = s["text"].as_str().unwrap();
            let want: Vec<u32> = s["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u32)
                .filter(|id| *id != 101 && *id != 102)
                .collect();
            assert_eq!(t.ids(text), want, "{text:?}");
            let v = t.embed(text);
            for (i, w) in s["vector_first8"].as_array().unwrap().iter().enumerate() {
                let w = w.as_f64().unwrap() as f32;
                assert!((v[i] - w).abs() < 2e-3, "{text:?} dim {i}: {} vs {w}", v[i]);
            }
        }
    }

    /// The AVX path and the plain one give the same sums to the bit and cut the same blocks, so
    /// a reading never depends on the processor it ran on.
    #[test]
    fn avx_and_plain_sums_are_the_same_bits() {
        if !has_avx() {
            return; // nothing to compare on this processor; the plain path is the one used
        }
        let t = table();
        let texts = [
            "we replay the log from the last committed offset",
            "spot instances for the batch workers",
            "dedup on the device id and its counter",
            "p99 latency under 5 s for the dashboard",
            "a dead letter queue for poison pills",
            "",
        ];
        let vecs: Vec<Vec<f32>> = texts.iter().map(|s| t.embed(s)).collect();
        let mut rows = Rows::new(t.dim());
        let mut all = Vec::new();
        for i in 0..(AT_ONCE * LANES * 2) {
            all.push(vecs[(i * 5 + 3) % vecs.len()].clone());
        }
        let group = rows.push_group(&all);
        let per_block = segments(rows.dim) + 1;
        for v in &vecs {
            let q = rows.query(v);
            for floor in [-1.0f32, 0.3, 0.7, 0.95, 2.0] {
                let cols: [Block<'_>; AT_ONCE] = std::array::from_fn(|i| {
                    &rows.blocks
                        [(group.first_block + i) * rows.dim..(group.first_block + i + 1) * rows.dim]
                });
                let norms: [Block<'_>; AT_ONCE] = std::array::from_fn(|i| {
                    &rows.norms[(group.first_block + i) * per_block
                        ..(group.first_block + i + 1) * per_block]
                });
                let plain = block_dots_here(&cols, v, Some((&q, &norms, floor)), false);
                let avx = block_dots_here(&cols, v, Some((&q, &norms, floor)), true);
                let bits = |r: Option<[[f32; LANES]; AT_ONCE]>| {
                    r.map(|b| b.map(|lanes| lanes.map(f32::to_bits)))
                };
                assert_eq!(bits(plain), bits(avx), "floor {floor}");
            }
        }
    }

    /// A sentence's vector is the same bits whether its rows are added with AVX or without.
    #[test]
    fn avx_and_plain_rows_add_to_the_same_bits() {
        if !has_avx() {
            return;
        }
        let t = table();
        for text in [
            "we replay the log from the last committed offset",
            "Kafka → Flink → Redis, p99 < 5 s",
        ] {
            let (mut plain, mut avx) = (vec![0f32; t.dim()], vec![0f32; t.dim()]);
            for id in t.ids(text) {
                let i = id as usize;
                let row = &t.rows[i * t.dim()..(i + 1) * t.dim()];
                add_row_here(&mut plain, t.scales[i], row, false);
                add_row_here(&mut avx, t.scales[i], row, true);
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&plain), bits(&avx), "{text}");
        }
    }

    /// Similarities computed a block at a time are the very numbers `dot` gives (a different
    /// order of additions would move some by a last bit and could flip a reading at the
    /// threshold), for groups of any size, including all-zero rows and negative zeros.
    #[test]
    fn block_similarities_equal_dot_bit_for_bit() {
        let t = table();
        let sentences = [
            "we replay the log from the last committed offset",
            "spot instances for the batch workers",
            "",
            "dedup on the device id and its counter",
            "p99 latency under 5 s for the dashboard",
            "a dead letter queue for poison pills",
        ];
        let vecs: Vec<Vec<f32>> = sentences.iter().map(|s| t.embed(s)).collect();
        let mut negated = vecs[0].clone();
        negated.iter_mut().for_each(|x| *x = -*x);
        let mut rows = Rows::new(t.dim());
        let mut groups = Vec::new();
        for n in [1, 0, 17, 16, 5, 33] {
            let group: Vec<Vec<f32>> = (0..n)
                .map(|i| vecs[(i * 7 + n) % vecs.len()].clone())
                .collect();
            groups.push((rows.push_group(&group), group));
        }
        for v in vecs.iter().chain([&negated]) {
            for (g, group) in &groups {
                let mut got = Vec::new();
                rows.dots(v, *g, &mut got);
                assert_eq!(got.len(), group.len());
                for (sim, row) in got.iter().zip(group) {
                    assert_eq!(sim.to_bits(), dot(v, row).to_bits());
                }
            }
        }
    }

    /// With a floor, every similarity that reaches it is still `dot`'s number to the bit, and a
    /// row is left out (minus infinity) only when its similarity is really below the floor:
    /// real sentences against real example phrasings, floors from the screen to near one.
    #[test]
    fn bounded_similarities_are_exact_above_the_floor() {
        let t = table();
        let texts = [
            "we replay the log from the last committed offset after a bad deploy",
            "spare discounted machines the cloud can take back at short notice",
            "drop readings we have already seen using the device id plus its counter",
            "one-minute summaries using the time on the reading, not the time it arrived",
            "a durable append-only log that we can replay",
            "We ingest click events into Kafka with acks=all and min.insync.replicas=2, \
             partitioned by user id, and Flink computes five-second event-time windows",
            "the dashboard shows revenue by region",
            "",
            "p99 latency under 5 s",
        ];
        let vecs: Vec<Vec<f32>> = texts.iter().map(|s| t.embed(s)).collect();
        let mut rows = Rows::new(t.dim());
        let mut groups = Vec::new();
        for n in [1, 5, 8, 9, 0, 17] {
            let group: Vec<Vec<f32>> = (0..n)
                .map(|i| vecs[(i * 5 + n) % vecs.len()].clone())
                .collect();
            groups.push((rows.push_group(&group), group));
        }
        let mut cut = 0;
        let all: Vec<Group> = groups.iter().map(|(g, _)| *g).collect();
        let all_rows: Vec<Vec<f32>> = groups.iter().flat_map(|(_, r)| r.clone()).collect();
        for v in &vecs {
            let q = rows.query(v);
            for floor in [-0.5, 0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.95, 1.5] {
                // Group by group, and all groups in one call (blocks scored side by side).
                let mut calls: Vec<(Vec<Group>, Vec<Vec<f32>>)> =
                    groups.iter().map(|(g, r)| (vec![*g], r.clone())).collect();
                calls.push((all.clone(), all_rows.clone()));
                for (gs, group) in &calls {
                    let mut got = Vec::new();
                    rows.dots_at_least(v, &q, floor, gs, &mut got);
                    assert_eq!(got.len(), group.len());
                    for (sim, row) in got.iter().zip(group) {
                        let exact = dot(v, row);
                        if *sim == f32::NEG_INFINITY {
                            cut += 1;
                            assert!(exact < floor, "{exact} was cut at floor {floor}");
                        } else {
                            assert_eq!(sim.to_bits(), exact.to_bits());
                        }
                    }
                }
            }
        }
        // The bound does cut: otherwise this would only test `dots` again.
        assert!(cut > 0);
    }

    #[test]
    fn paraphrase_is_nearer_than_an_unrelated_sentence() {
        let t = table();
        let a = t.embed("spare discounted machines the cloud can take back at short notice");
        let b = t.embed("we run the batch workers on spot instances");
        let c = t.embed("the dashboard shows revenue by region");
        assert!(
            dot(&a, &b) > dot(&a, &c) + 0.1,
            "{} vs {}",
            dot(&a, &b),
            dot(&a, &c)
        );
    }
}
