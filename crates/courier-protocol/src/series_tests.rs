//! Unit tests of `series.rs`: the builder, the reader and `SeqLog`.

use super::*;

fn temp() -> Vec<Series> {
    vec![
        Series::from_spec("temp:°C").unwrap(),
        Series::from_spec("load:%").unwrap(),
    ]
}

#[test]
fn a_built_batch_is_canonical_and_parses_back() {
    let mut b = BatchBuilder::new("lab-1", temp(), 7).unwrap();
    b.push(Point {
        t_ms: 1_700_000_000_000,
        values: vec![Some(21.5), None],
    })
    .unwrap();
    b.push(Point {
        t_ms: 1_700_000_000_000,
        values: vec![Some(-0.0), Some(1e21)],
    })
    .unwrap();
    let (batch, plaintext) = b.finish().unwrap();
    assert_eq!(
        std::str::from_utf8(&plaintext).unwrap(),
        r#"{"points":[[1700000000000,21.5,null],[1700000000000,0,1e+21]],"seq":7,"series":[{"name":"temp","unit":"°C"},{"name":"load","unit":"%"}],"stream":"lab-1"}"#
    );
    assert_eq!(batch.to_plaintext().unwrap(), plaintext);
    let parsed = SeriesBatch::parse(&plaintext).unwrap();
    assert_eq!(parsed.points[0].values, vec![Some(21.5), None]);
    assert_eq!(parsed.seq, 7);
}

#[test]
fn the_builder_stops_at_the_point_and_size_limits() {
    let mut b = BatchBuilder::new("s", vec![Series::from_spec("v").unwrap()], 0).unwrap();
    for t in 0..MAX_POINTS_PER_BATCH as u64 {
        b.push(Point {
            t_ms: t,
            values: vec![Some(0.5)],
        })
        .unwrap();
    }
    assert!(matches!(
        b.push(Point {
            t_ms: 2000,
            values: vec![Some(1.0)]
        }),
        Err(PushError::Full(_))
    ));

    let series: Vec<Series> = (0..16)
        .map(|i| Series::from_spec(&format!("s{i}")).unwrap())
        .collect();
    let mut b = BatchBuilder::new("s", series, 0).unwrap();
    let wide = |t| Point {
        t_ms: t,
        values: vec![Some(-1.2345678901234567e-300); 16],
    };
    let mut t = 0;
    while b.push(wide(t)).is_ok() {
        t += 1;
    }
    let (_, plaintext) = b.finish().unwrap();
    assert!(plaintext.len() <= MAX_PLAINTEXT_LEN && plaintext.len() > MAX_PLAINTEXT_LEN - 400);
    SeriesBatch::parse(&plaintext).unwrap();
}

#[test]
fn the_builder_refuses_what_a_reader_would() {
    let mut b = BatchBuilder::new("s", temp(), 0).unwrap();
    let bad = |b: &mut BatchBuilder, p| matches!(b.push(p), Err(PushError::Invalid(_)));
    assert!(bad(
        &mut b,
        Point {
            t_ms: 1,
            values: vec![Some(1.0)]
        }
    ));
    assert!(bad(
        &mut b,
        Point {
            t_ms: 1,
            values: vec![Some(f64::NAN), None]
        }
    ));
    assert!(bad(
        &mut b,
        Point {
            t_ms: 1 << 53,
            values: vec![None, None]
        }
    ));
    b.push(Point {
        t_ms: 10,
        values: vec![None, None],
    })
    .unwrap();
    assert!(bad(
        &mut b,
        Point {
            t_ms: 9,
            values: vec![None, None]
        }
    ));
    assert!(BatchBuilder::new("has space", temp(), 0).is_err());
    assert!(BatchBuilder::new("s", vec![], 0).is_err());
    assert!(Series::from_spec("a\u{202e}b").is_err());
    assert!(BatchBuilder::new("s", temp(), 0)
        .unwrap()
        .finish()
        .is_none());
}

#[test]
fn seq_log_reports_duplicates_and_gaps() {
    let mut log = SeqLog::default();
    for s in [0, 1, 2, 5, 7, 6] {
        assert_eq!(log.insert(s), Seen::New, "{s}");
    }
    assert_eq!(log.insert(1), Seen::Duplicate);
    assert_eq!(log.insert(6), Seen::Duplicate);
    assert_eq!(log.gaps(), vec![3..=4]);
    assert_eq!(log.insert(3), Seen::New);
    assert_eq!(log.insert(4), Seen::New);
    assert_eq!(log.gaps(), vec![]);
    assert_eq!(log.last(), Some(7));
    let mut late = SeqLog::default();
    late.insert(3);
    assert_eq!(late.gaps(), vec![0..=2]);
}
