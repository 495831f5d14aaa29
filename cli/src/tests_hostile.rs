//! Hostile input never panics: whatever `--NAME 'json'` values and `--inputs FILE` contents
//! `run` is given, it exits 0 with the outputs when the inputs are valid for the workflow, and 2
//! with a message on stderr otherwise; never a panic, never 0 for inputs that do not fit.
//!
//! Validity is decided here independently of the runtime, with serde_json's own readers.
//! 512 cases per property, or `$PROPTEST_CASES`.

use std::sync::atomic::{AtomicUsize, Ordering};

use flowmap::prelude::*;
use proptest::prelude::*;
use serde_json::Value as Json;

use crate::App;

#[task]
fn weighted_sum(xs: Vec<i64>, k: i64) -> i64 {
    xs.iter().fold(0i64, |a, x| a.wrapping_add(*x)).wrapping_mul(k)
}

#[workflow]
fn hostile_sum(xs: Vec<i64>, #[default(3)] k: i64) -> i64 {
    weighted_sum(xs, k)
}

#[task]
fn char_count(word: String) -> usize {
    word.chars().count()
}

#[workflow]
fn hostile_word(word: String) -> usize {
    char_count(word)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    }
}

fn app() -> App {
    App::new("hostile").workflow(&hostile_sum).workflow(&hostile_word)
}

/// `hostile run ARGS... -q --no-cache`: exit code, stdout, stderr.
fn run(app: &App, args: &[String]) -> (u8, String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let all = ["hostile", "run"].into_iter().map(str::to_owned).chain(args.iter().cloned());
    let code = app.run_from(all.chain(["-q".to_owned(), "--no-cache".to_owned()]), &mut out, &mut err);
    (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
}

/// What the workflow `hostile_sum` outputs for these inputs.
fn sum(xs: &[i64], k: i64) -> i64 {
    xs.iter().fold(0i64, |a, x| a.wrapping_add(*x)).wrapping_mul(k)
}

/// JSON-like text: numbers at and beyond i64's ends, floats, strings with escapes, lists,
/// objects, and the odd broken token.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("-0".to_owned()),
        Just(i64::MAX.to_string()),
        Just(i64::MIN.to_string()),
        Just("9223372036854775808".to_owned()),
        Just("1e400".to_owned()),
        "-?[0-9]{1,20}",
        "-?[0-9]{1,3}\\.[0-9]{1,3}([eE][+-]?[0-9]{1,3})?",
        "\"([a-z0-9 ]|\\\\u00[0-9a-f]{2}|\\\\[nt\"\\\\]|é){0,6}\"",
        "[\\[\\]{},:\"\\\\]",
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(|items| format!("[{}]", items.join(","))),
            proptest::collection::vec(("\"(xs|k|x|)\"", inner), 0..3).prop_map(|entries| {
                let entries: Vec<String> = entries.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("{{{}}}", entries.join(","))
            }),
        ]
    })
}

/// The contents of an inputs file: any text, or an object of near-valid inputs, with some
/// characters then deleted or inserted.
fn inputs_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        4 => Just("\"xs\"".to_owned()),
        3 => Just("\"k\"".to_owned()),
        1 => Just("\"\\u0078s\"".to_owned()),
        1 => "\"[a-z]{0,3}\"",
    ];
    let value = prop_oneof![
        3 => proptest::collection::vec(any::<i64>(), 0..5).prop_map(|xs| format!("{xs:?}")),
        2 => any::<i64>().prop_map(|k| k.to_string()),
        3 => json_text(),
    ];
    let object = proptest::collection::vec((key, value, " {0,2}"), 0..4).prop_map(|entries| {
        let entries: Vec<String> = entries.into_iter().map(|(k, v, ws)| format!("{ws}{k}:{ws}{v}")).collect();
        format!("{{{}}}", entries.join(","))
    });
    let edited = (object.clone(), proptest::collection::vec((any::<usize>(), "[\\[\\]{},:\"0-9a-z ]?"), 0..3))
        .prop_map(|(mut text, edits)| {
            for (at, c) in edits {
                let chars: Vec<char> = text.chars().collect();
                let at = at % (chars.len() + 1);
                let mut out: String = chars[..at].iter().collect();
                // An empty edit deletes the character there; any other inserts itself.
                out += &c;
                let rest = if c.is_empty() { (at + 1).min(chars.len()) } else { at };
                out.extend(&chars[rest..]);
                text = out;
            }
            text
        });
    prop_oneof![2 => any::<String>(), 4 => object, 3 => edited, 1 => json_text()]
}

/// The keys of a JSON object's top level, as written (escapes read), duplicates kept; `text` is
/// valid JSON.
fn top_level_keys(text: &str) -> Vec<String> {
    let (mut keys, mut depth, mut expect_key) = (Vec::new(), 0usize, false);
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let mut end = i + 1;
                let mut escaped = false;
                for (j, d) in chars.by_ref() {
                    end = j + d.len_utf8();
                    match d {
                        _ if escaped => escaped = false,
                        '\\' => escaped = true,
                        '"' => break,
                        _ => {}
                    }
                }
                if depth == 1 && expect_key {
                    keys.push(serde_json::from_str::<String>(&text[i..end]).unwrap_or_default());
                    expect_key = false;
                }
            }
            '{' | '[' => {
                depth += 1;
                expect_key = depth == 1 && c == '{';
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' => expect_key = depth == 1,
            _ => {}
        }
    }
    keys
}

/// The output of `hostile_sum` for an inputs file holding `text`; `None` when the file is not a
/// JSON object of `xs` (a list of i64) and maybe `k` (an i64), each once.
fn expected_from_file(text: &str) -> Option<i64> {
    let Ok(Json::Object(object)) = serde_json::from_str::<Json>(text) else { return None };
    let keys = top_level_keys(text);
    let once = |name: &str| keys.iter().filter(|k| *k == name).count() <= 1;
    if !keys.iter().all(|k| k == "xs" || k == "k") || !once("xs") || !once("k") {
        return None;
    }
    let xs: Vec<i64> = serde_json::from_value(object.get("xs")?.clone()).ok()?;
    let k = match object.get("k") {
        Some(k) => serde_json::from_value::<i64>(k.clone()).ok()?,
        None => 3,
    };
    Some(sum(&xs, k))
}

/// A file of its own for each case.
fn inputs_file(contents: &[u8]) -> std::path::PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("flowmap-cli-hostile-{}-{n}.json", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

/// Exit 0 with `expected` printed, or 2 with an error on stderr when nothing is expected.
fn check((code, out, err): (u8, String, String), expected: Option<String>, input: &str) -> Result<(), TestCaseError> {
    match expected {
        Some(value) => {
            prop_assert_eq!(code, 0, "{:?} is valid, but: {}", input, err);
            prop_assert_eq!(out.trim_end(), value, "{:?}", input);
        }
        None => {
            prop_assert_eq!(code, 2, "{:?} is not valid; out: {} err: {}", input, out, err);
            prop_assert!(err.starts_with("error: ") && err.len() > 8, "{:?}: {:?}", input, err);
            prop_assert!(out.is_empty(), "{:?}: {:?}", input, out);
        }
    }
    Ok(())
}

#[test]
fn the_oracles_agree_with_the_app_on_known_cases() {
    let keys = top_level_keys(r#" {"xs": [1, {"k": 2}], "a\"b": "x,", "\u0078s": {"xs": 1}} "#);
    assert_eq!(keys, ["xs", "a\"b", "xs"]);
    assert_eq!(expected_from_file(r#"{"xs": [1, 2], "k": 2}"#), Some(6));
    assert_eq!(expected_from_file(r#"{"xs": [1, 2]}"#), Some(9));
    assert_eq!(expected_from_file(r#"{"xs": [1], "xs": [1]}"#), None);
    assert_eq!(expected_from_file(r#"{"xs": [1], "k": null}"#), None);
    let app = app();
    let file = inputs_file(br#"{"xs": [1, 2], "k": 2}"#);
    let ok = run(&app, &["hostile_sum".into(), "--inputs".into(), file.display().to_string()]);
    let _ = std::fs::remove_file(&file);
    assert_eq!((ok.0, ok.1.as_str()), (0, "6\n"), "{}", ok.2);
    let bad = run(&app, &["hostile_sum".into(), "--xs=[1,".into()]);
    assert_eq!(bad.0, 2, "{bad:?}");
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn list_flags_run_or_exit_2(text in prop_oneof![any::<String>(), json_text()]) {
        let app = app();
        let expected = serde_json::from_str::<Vec<i64>>(&text).ok().map(|xs| sum(&xs, 3).to_string());
        check(run(&app, &["hostile_sum".into(), format!("--xs={text}")]), expected, &text)?;
    }

    #[test]
    fn string_flags_run_or_exit_2(text in prop_oneof![any::<String>(), json_text()]) {
        let app = app();
        // A string input may be given bare, whatever it looks like (`--word 42` is "42"); a
        // JSON string is its content; `null` is no string.
        let expected = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::String(s)) => Some(s.chars().count()),
            Ok(serde_json::Value::Null) => None,
            _ => Some(text.chars().count()),
        };
        check(run(&app, &["hostile_word".into(), format!("--word={text}")]), expected.map(|n| n.to_string()), &text)?;
    }

    #[test]
    fn inputs_files_run_or_exit_2(text in inputs_text()) {
        let app = app();
        let file = inputs_file(text.as_bytes());
        let result = run(&app, &["hostile_sum".into(), "--inputs".into(), file.display().to_string()]);
        let _ = std::fs::remove_file(&file);
        check(result, expected_from_file(&text).map(|s| s.to_string()), &text)?;
    }

    #[test]
    fn inputs_files_of_any_bytes_run_or_exit_2(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let app = app();
        let file = inputs_file(&bytes);
        let result = run(&app, &["hostile_sum".into(), "--inputs".into(), file.display().to_string()]);
        let _ = std::fs::remove_file(&file);
        let expected = std::str::from_utf8(&bytes).ok().and_then(expected_from_file).map(|s| s.to_string());
        check(result, expected, &String::from_utf8_lossy(&bytes))?;
    }
}
