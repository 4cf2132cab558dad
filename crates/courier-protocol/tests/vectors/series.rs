//! The telemetry series vectors (`tests/vectors/courier-series.json`, docs/protocol.md §12):
//! every valid plaintext parses to what the file says and is re-written byte for byte; every
//! hostile one is refused as a whole.

use courier_protocol::series::{Point, Series, SeriesBatch};
use serde_json::Value;

fn file() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/courier-series.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn expected(parsed: &Value) -> SeriesBatch {
    SeriesBatch {
        stream: parsed["stream"].as_str().unwrap().to_owned(),
        seq: parsed["seq"].as_u64().unwrap(),
        series: parsed["series"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| Series {
                name: s["name"].as_str().unwrap().to_owned(),
                unit: s["unit"].as_str().unwrap().to_owned(),
            })
            .collect(),
        points: parsed["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let p = p.as_array().unwrap();
                Point {
                    t_ms: p[0].as_u64().unwrap(),
                    values: p[1..].iter().map(Value::as_f64).collect(),
                }
            })
            .collect(),
    }
}

#[test]
fn valid_series_batches_parse_and_are_rewritten_byte_for_byte() {
    let v = file();
    assert_eq!(v["content_type"], SeriesBatch::CONTENT_TYPE);
    for case in v["valid"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let plaintext = case["plaintext"].as_str().unwrap().as_bytes();
        let batch = SeriesBatch::parse(plaintext).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(batch, expected(&case["parsed"]), "{name}");
        assert_eq!(batch.to_plaintext().unwrap(), plaintext, "{name}");
    }
}

#[test]
fn hostile_series_batches_are_refused_whole() {
    let v = file();
    let cases = v["invalid"].as_array().unwrap();
    assert!(cases.len() > 40);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let plaintext = case["plaintext"].as_str().unwrap().as_bytes();
        assert!(
            SeriesBatch::parse(plaintext).is_err(),
            "{name} was accepted"
        );
    }
}
