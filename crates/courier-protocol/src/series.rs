//! Telemetry series (docs/protocol.md §12): a batch of an emitter's readings, carried as the
//! plaintext of an ordinary signed, encrypted message of content type
//! `application/vnd.courier.series+json`. The server stores and relays it like any message and
//! never sees a reading.
//!
//! - [`SeriesBatch::parse`] is the reader: canonical JSON, exactly the known fields, every rule
//!   of §12.1, or the whole batch is refused (then flagged, never plotted).
//! - [`BatchBuilder`] is the writer an emitter fills point by point: it knows the encoded size
//!   as it grows, so a batch never exceeds the plaintext limit, and it refuses points a reader
//!   would refuse before they are sent.
//! - [`SeqLog`] is what a reader keeps per `(sender, stream)`: duplicates and gaps in `seq`.

use std::{collections::BTreeMap, ops::RangeInclusive};

use serde_json::Value;
use thiserror::Error;

use crate::{
    canonical::{self, Numbers},
    limits::{
        MAX_PLAINTEXT_LEN, MAX_POINTS_PER_BATCH, MAX_SAFE_INTEGER, MAX_SERIES_NAME_LEN,
        MAX_SERIES_PER_BATCH, MAX_SERIES_UNIT_LEN, MAX_STREAM_ID_LEN, SERIES_CONTENT_TYPE,
    },
};

/// Why a batch (or a point for one) is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SeriesError {
    /// The plaintext breaks a rule of §12.1; the message is flagged and nothing of it plotted.
    #[error("series batch refused: {0}")]
    Invalid(&'static str),
}

type Result<T> = std::result::Result<T, SeriesError>;

fn invalid<T>(why: &'static str) -> Result<T> {
    Err(SeriesError::Invalid(why))
}

/// One series of a stream: a name and a unit (possibly empty), both display text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Series {
    pub name: String,
    pub unit: String,
}

impl Series {
    /// Parses the command-line form `name[:unit]` (the unit is what follows the last `:`).
    pub fn from_spec(spec: &str) -> Result<Self> {
        let (name, unit) = spec.rsplit_once(':').unwrap_or((spec, ""));
        let series = Series {
            name: name.to_owned(),
            unit: unit.to_owned(),
        };
        series.check()?;
        Ok(series)
    }

    fn check(&self) -> Result<()> {
        if !is_display_text(&self.name, 1, MAX_SERIES_NAME_LEN) {
            return invalid("series name must be 1-64 characters without control characters");
        }
        if !is_display_text(&self.unit, 0, MAX_SERIES_UNIT_LEN) {
            return invalid("series unit must be 0-16 characters without control characters");
        }
        Ok(())
    }
}

/// One reading: a time (ms since the epoch, the emitter's clock) and one value per series,
/// `None` where that series has no reading at this time.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub t_ms: u64,
    pub values: Vec<Option<f64>>,
}

/// A batch of readings: the plaintext of one series message.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesBatch {
    /// The emitter's name for this stream; with the (verified) sender it identifies the stream.
    pub stream: String,
    /// 0 for a stream's first batch, then +1 per batch.
    pub seq: u64,
    pub series: Vec<Series>,
    /// In non-decreasing time order; at least one.
    pub points: Vec<Point>,
}

/// Whether `id` is a valid stream id: 1–64 of ASCII `A-Z a-z 0-9 . _ : -`.
pub fn is_valid_stream_id(id: &str) -> bool {
    (1..=MAX_STREAM_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// `min..=max` Unicode scalar values, none a C0/C1 control or a bidirectional control (the
/// same characters §11.4 bars from file names, which a label could otherwise use to spoof).
fn is_display_text(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.chars().count())
        && !text.chars().any(|c| {
            matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{200e}' | '\u{200f}'
                | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
}

fn check_series_list(series: &[Series]) -> Result<()> {
    if series.is_empty() || series.len() > MAX_SERIES_PER_BATCH {
        return invalid("series must hold 1-16 entries");
    }
    for (i, s) in series.iter().enumerate() {
        s.check()?;
        if series[..i].iter().any(|o| o.name == s.name) {
            return invalid("duplicate series name");
        }
    }
    Ok(())
}

fn check_point(point: &Point, width: usize, after: Option<u64>) -> Result<()> {
    if point.t_ms > MAX_SAFE_INTEGER {
        return invalid("point time must be an integer 0..2^53-1");
    }
    if after.is_some_and(|t| point.t_ms < t) {
        return invalid("points must be in non-decreasing time order");
    }
    if point.values.len() != width {
        return invalid("a point needs one value (or null) per series");
    }
    if point.values.iter().flatten().any(|v| !v.is_finite()) {
        return invalid("values must be finite numbers");
    }
    Ok(())
}

/// Appends the canonical encoding of `point`.
fn write_point(point: &Point, out: &mut String) {
    out.push('[');
    out.push_str(&point.t_ms.to_string());
    for v in &point.values {
        out.push(',');
        match v {
            Some(v) => canonical::write_number(*v, out),
            None => out.push_str("null"),
        }
    }
    out.push(']');
}

/// The canonical text around the points: `{"points":[` and `],"seq":…,"stream":…}`.
fn frame(stream: &str, seq: u64, series: &[Series]) -> (String, String) {
    let mut tail = format!("],\"seq\":{seq},\"series\":[");
    for (i, s) in series.iter().enumerate() {
        if i > 0 {
            tail.push(',');
        }
        tail.push_str("{\"name\":");
        canonical::write_string(&s.name, &mut tail);
        tail.push_str(",\"unit\":");
        canonical::write_string(&s.unit, &mut tail);
        tail.push('}');
    }
    tail.push_str("],\"stream\":");
    canonical::write_string(stream, &mut tail);
    tail.push('}');
    ("{\"points\":[".to_owned(), tail)
}

impl SeriesBatch {
    /// The message content type these batches carry.
    pub const CONTENT_TYPE: &'static str = SERIES_CONTENT_TYPE;

    /// Parses and checks a decrypted plaintext (§12.1). Anything else is refused as a whole.
    pub fn parse(plaintext: &[u8]) -> Result<Self> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return invalid("content longer than a message plaintext");
        }
        let text = std::str::from_utf8(plaintext)
            .map_err(|_| SeriesError::Invalid("content is not UTF-8"))?;
        // serde_json refuses a byte order mark, lone surrogates and nesting past 128 levels.
        let value: Value =
            serde_json::from_str(text).map_err(|_| SeriesError::Invalid("content is not JSON"))?;
        if canonical::to_string(&value, Numbers::Ecmascript).as_deref() != Some(text) {
            return invalid("content is not canonical JSON");
        }
        let Value::Object(obj) = value else {
            return invalid("content is not an object");
        };
        if obj.len() != 4
            || !["points", "seq", "series", "stream"]
                .iter()
                .all(|k| obj.contains_key(*k))
        {
            return invalid("content must have exactly points, seq, series and stream");
        }
        let stream = match &obj["stream"] {
            Value::String(s) if is_valid_stream_id(s) => s.clone(),
            _ => return invalid("stream must be 1-64 of A-Z a-z 0-9 . _ : -"),
        };
        let seq = safe_integer(&obj["seq"])
            .map_or_else(|| invalid("seq must be an integer 0..2^53-1"), Ok)?;
        let series = obj["series"]
            .as_array()
            .map_or_else(|| invalid("series must be an array"), Ok)?
            .iter()
            .map(|s| {
                let Value::Object(s) = s else {
                    return invalid("a series must be an object");
                };
                match (s.len(), s.get("name"), s.get("unit")) {
                    (2, Some(Value::String(name)), Some(Value::String(unit))) => Ok(Series {
                        name: name.clone(),
                        unit: unit.clone(),
                    }),
                    _ => invalid("a series must have exactly a string name and unit"),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        check_series_list(&series)?;
        let items = obj["points"]
            .as_array()
            .map_or_else(|| invalid("points must be an array"), Ok)?;
        if items.is_empty() || items.len() > MAX_POINTS_PER_BATCH {
            return invalid("points must hold 1-1000 points");
        }
        let mut points = Vec::with_capacity(items.len());
        for item in items {
            let Some([t, values @ ..]) = item.as_array().map(Vec::as_slice) else {
                return invalid("a point must be a non-empty array");
            };
            let t_ms = safe_integer(t)
                .map_or_else(|| invalid("point time must be an integer 0..2^53-1"), Ok)?;
            let values = values
                .iter()
                .map(|v| match v {
                    Value::Null => Ok(None),
                    Value::Number(n) => n
                        .as_f64()
                        .map(Some)
                        .map_or_else(|| invalid("bad value"), Ok),
                    _ => invalid("values must be numbers or null"),
                })
                .collect::<Result<Vec<_>>>()?;
            let point = Point { t_ms, values };
            check_point(&point, series.len(), points.last().map(|p: &Point| p.t_ms))?;
            points.push(point);
        }
        Ok(SeriesBatch {
            stream,
            seq,
            series,
            points,
        })
    }

    /// The canonical plaintext to seal; refuses a batch a reader would refuse.
    pub fn to_plaintext(&self) -> Result<Vec<u8>> {
        if !is_valid_stream_id(&self.stream) {
            return invalid("stream must be 1-64 of A-Z a-z 0-9 . _ : -");
        }
        if self.seq > MAX_SAFE_INTEGER {
            return invalid("seq must be an integer 0..2^53-1");
        }
        check_series_list(&self.series)?;
        if self.points.is_empty() || self.points.len() > MAX_POINTS_PER_BATCH {
            return invalid("points must hold 1-1000 points");
        }
        let (head, tail) = frame(&self.stream, self.seq, &self.series);
        let mut text = head;
        for (i, p) in self.points.iter().enumerate() {
            check_point(
                p,
                self.series.len(),
                i.checked_sub(1).map(|j| self.points[j].t_ms),
            )?;
            if i > 0 {
                text.push(',');
            }
            write_point(p, &mut text);
        }
        text.push_str(&tail);
        if text.len() > MAX_PLAINTEXT_LEN {
            return invalid("content longer than a message plaintext");
        }
        Ok(text.into_bytes())
    }
}

/// An integer 0..=2^53 − 1 written as one (`1.0` never gets here: it is not canonical).
fn safe_integer(value: &Value) -> Option<u64> {
    value.as_u64().filter(|n| *n <= MAX_SAFE_INTEGER)
}

/// Why [`BatchBuilder::push`] did not take a point.
#[derive(Debug, Clone, PartialEq)]
pub enum PushError {
    /// The batch is full (1 000 points, or the next point would pass the plaintext limit):
    /// send it, start the next and push the point there.
    Full(Point),
    /// No batch could hold this point (wrong width, a non-finite value, time going back).
    Invalid(SeriesError),
}

/// An emitter's batch in the making: points go in one by one and the encoded size is tracked,
/// so [`BatchBuilder::finish`] always yields a plaintext a reader accepts.
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    stream: String,
    series: Vec<Series>,
    seq: u64,
    points: Vec<Point>,
    /// The canonical text of the points so far, comma-separated.
    body: String,
    /// Bytes of everything but the points.
    frame_len: usize,
}

impl BatchBuilder {
    /// An empty batch `seq` of `stream` with these series.
    pub fn new(stream: &str, series: Vec<Series>, seq: u64) -> Result<Self> {
        if !is_valid_stream_id(stream) {
            return invalid("stream must be 1-64 of A-Z a-z 0-9 . _ : -");
        }
        if seq > MAX_SAFE_INTEGER {
            return invalid("seq must be an integer 0..2^53-1");
        }
        check_series_list(&series)?;
        let (head, tail) = frame(stream, seq, &series);
        Ok(BatchBuilder {
            stream: stream.to_owned(),
            series,
            seq,
            points: Vec::new(),
            body: String::new(),
            frame_len: head.len() + tail.len(),
        })
    }

    /// Adds a point, unless it is invalid or would overfill the batch.
    pub fn push(&mut self, point: Point) -> std::result::Result<(), PushError> {
        check_point(
            &point,
            self.series.len(),
            self.points.last().map(|p| p.t_ms),
        )
        .map_err(PushError::Invalid)?;
        if self.points.len() == MAX_POINTS_PER_BATCH {
            return Err(PushError::Full(point));
        }
        let mut encoded = String::new();
        write_point(&point, &mut encoded);
        let comma = usize::from(!self.points.is_empty());
        if self.frame_len + self.body.len() + comma + encoded.len() > MAX_PLAINTEXT_LEN {
            if self.points.is_empty() {
                // Cannot happen with the limits above (16 values), but never loop on it.
                return Err(PushError::Invalid(SeriesError::Invalid(
                    "a point too large for any batch",
                )));
            }
            return Err(PushError::Full(point));
        }
        if comma == 1 {
            self.body.push(',');
        }
        self.body.push_str(&encoded);
        self.points.push(point);
        Ok(())
    }

    /// An empty builder for the batch after this one (same stream and series, `seq + 1`).
    pub fn next_batch(&self) -> BatchBuilder {
        let seq = self.seq + 1;
        let (head, tail) = frame(&self.stream, seq, &self.series);
        BatchBuilder {
            stream: self.stream.clone(),
            series: self.series.clone(),
            seq,
            points: Vec::new(),
            body: String::new(),
            frame_len: head.len() + tail.len(),
        }
    }

    /// Points held so far.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// The time of the first point held, if any (an emitter flushes a batch this old).
    pub fn first_t_ms(&self) -> Option<u64> {
        self.points.first().map(|p| p.t_ms)
    }

    /// The batch and its canonical plaintext; `None` when it holds no point (nothing to send).
    pub fn finish(self) -> Option<(SeriesBatch, Vec<u8>)> {
        if self.points.is_empty() {
            return None;
        }
        let (head, tail) = frame(&self.stream, self.seq, &self.series);
        let plaintext = [head.as_bytes(), self.body.as_bytes(), tail.as_bytes()].concat();
        debug_assert!(plaintext.len() <= MAX_PLAINTEXT_LEN);
        let batch = SeriesBatch {
            stream: self.stream,
            seq: self.seq,
            series: self.series,
            points: self.points,
        };
        Some((batch, plaintext))
    }
}

/// What a reader learns from a batch's `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// A batch not seen before.
    New,
    /// This `seq` was seen already: a resend the server did not recognise as one, or a
    /// replay; the reader keeps the first and ignores this one.
    Duplicate,
}

/// The `seq` numbers a reader has seen of one `(sender, stream)`, as disjoint ranges, so it
/// can say which batches are missing.
#[derive(Debug, Clone, Default)]
pub struct SeqLog {
    /// start → end (inclusive) of each run of seen numbers.
    runs: BTreeMap<u64, u64>,
}

impl SeqLog {
    /// Records `seq`.
    pub fn insert(&mut self, seq: u64) -> Seen {
        if let Some((_, end)) = self.runs.range(..=seq).next_back() {
            if *end >= seq {
                return Seen::Duplicate;
            }
        }
        let mut start = seq;
        let mut end = seq;
        if let Some((s, e)) = self.runs.range(..seq).next_back().map(|(s, e)| (*s, *e)) {
            if e + 1 == seq {
                start = s;
            }
        }
        if let Some(next_end) = seq.checked_add(1).and_then(|n| self.runs.remove(&n)) {
            end = next_end;
        }
        self.runs.insert(start, end);
        Seen::New
    }

    /// The missing runs between the first batch (`seq` 0) and the highest seen.
    pub fn gaps(&self) -> Vec<RangeInclusive<u64>> {
        let mut gaps = Vec::new();
        let mut next = 0u64;
        for (&start, &end) in &self.runs {
            if start > next {
                gaps.push(next..=start - 1);
            }
            next = end.saturating_add(1);
        }
        gaps
    }

    /// The highest `seq` seen.
    pub fn last(&self) -> Option<u64> {
        self.runs.values().next_back().copied()
    }
}

#[cfg(test)]
#[path = "series_tests.rs"]
mod tests;
