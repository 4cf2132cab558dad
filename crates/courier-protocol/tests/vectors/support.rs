//! Shared helpers for the crypto tests: reading the vector file and a few cached accounts
//! (RSA-3072 key generation is slow, so each test identity is made once per test binary).

use std::path::PathBuf;
use std::sync::OnceLock;

use courier_protocol::crypto::{b64, AccountKeys, UnlockedAccount};
use serde_json::Value;
use uuid::Uuid;

/// Where the one known-answer file lives.
pub fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/courier-v1.json")
}

/// The parsed vector file.
pub fn vectors() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(vectors_path()).expect("read courier-v1.json");
        serde_json::from_str(&text).expect("courier-v1.json is JSON")
    })
}

/// The parsed v2 (key-committing envelope) vector file.
pub fn vectors_v2() -> &'static Value {
    static V: OnceLock<Value> = OnceLock::new();
    V.get_or_init(|| {
        let text = std::fs::read_to_string(vectors_path().with_file_name("courier-v2.json"))
            .expect("read courier-v2.json");
        serde_json::from_str(&text).expect("courier-v2.json is JSON")
    })
}

/// A string at a `/`-separated JSON pointer.
pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing string {pointer}"))
}

/// Base64 bytes at a JSON pointer.
pub fn b(v: &Value, pointer: &str) -> Vec<u8> {
    b64::decode("vector", s(v, pointer)).unwrap_or_else(|_| panic!("bad base64 at {pointer}"))
}

/// A 32-byte base64 value at a JSON pointer.
pub fn b32(v: &Value, pointer: &str) -> [u8; 32] {
    b(v, pointer)
        .try_into()
        .unwrap_or_else(|_| panic!("{pointer} is not 32 bytes"))
}

/// A test identity: a user id and unlocked keys.
pub struct Person {
    pub id: Uuid,
    pub account: UnlockedAccount,
}

fn person(cell: &'static OnceLock<Person>, name: &str, id: u128) -> &'static Person {
    cell.get_or_init(|| Person {
        id: Uuid::from_u128(id),
        account: UnlockedAccount::from_keys(name, AccountKeys::generate().unwrap()).unwrap(),
    })
}

pub fn alice() -> &'static Person {
    static P: OnceLock<Person> = OnceLock::new();
    person(&P, "alice", 0xa11ce)
}

pub fn bob() -> &'static Person {
    static P: OnceLock<Person> = OnceLock::new();
    person(&P, "bob", 0xb0b)
}

pub fn carol() -> &'static Person {
    static P: OnceLock<Person> = OnceLock::new();
    person(&P, "carol", 0xca201)
}

pub fn mallory() -> &'static Person {
    static P: OnceLock<Person> = OnceLock::new();
    person(&P, "mallory", 0x3a11)
}
