//! Hostile input never panics: `#[task]` and `#[workflow]` (and the `map!(...)`,
//! `.with_overrides(...)`, `.after(...)` and `#[default(...)]` they read) expanded from valid
//! sources with tokens deleted, inserted, swapped, replaced or duplicated. Each expansion is
//! Rust items: the generated code, `compile_error!`s, or both; never a panic.
//!
//! 3000 cases, or `$FLOWMAP_FUZZ_CASES`; the seed is fixed, or `$FLOWMAP_FUZZ_SEED`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Task,
    Workflow,
}

/// A valid use of a macro: its arguments and the item it is on.
struct Source {
    kind: Kind,
    attr: &'static str,
    item: &'static str,
}

const SOURCES: &[Source] = &[
    Source {
        kind: Kind::Task,
        attr: r#"retries = 2, timeout = "30s", cache = true, cache_version = "1", cache_serialize = true,
            cache_ignore_inputs = ["label"], requests(cpu = "1", mem = "2Gi"), limits(cpu = 2, mem = "4Gi", gpu = "1")"#,
        item: r#"
            /// Doubles `x`.
            pub fn double(x: i64, label: String) -> Result<(i64, String), String> {
                Ok((x * 2, label))
            }"#,
    },
    Source {
        kind: Kind::Task,
        attr: r#"name = "fetch-it", timeout = "1h 30m", requests(cpu = 0.5, ephemeral_storage = "10Gi")"#,
        item: r#"
            #[cfg(not(test))]
            pub(crate) async fn fetch(url: String, r#type: u32, pair: (i64, Vec<u8>)) -> Vec<u8> {
                let _ = (url, r#type);
                pair.1
            }"#,
    },
    Source {
        kind: Kind::Workflow,
        attr: "",
        item: r#"
            /// The pipeline.
            pub fn pipeline(
                xs: Vec<i64>,
                #[default(4)] k: i64,
                #[default(String::from("x"))] label: String,
            ) -> (Vec<Option<i64>>, i64, String) {
                let doubled = map!(double, concurrency = 4, min_success_ratio = 0.5, partial(y = k))(x = xs);
                let w = write(label);
                let (total, name) = summarize(doubled, k)
                    .with_overrides(retries = 3, timeout = "1m", requests(cpu = "500m"), interruptible = true)
                    .after(w);
                let _n = count(items = xs, label = "all").after(w, total);
                (doubled, total, name)
            }"#,
    },
    Source {
        kind: Kind::Workflow,
        attr: "",
        item: r#"
            pub(crate) fn fanout(data: Vec<String>, #[default(vec![1, 2, 3])] sizes: Vec<u64>) -> Vec<Option<usize>> {
                let lens = map!(self::tasks::length, min_successes = 2, concurrency = 8)(data, scale = 2);
                let _all = map!(check)(size = sizes).with_overrides(container_image = "img:1");
                lens
            }"#,
    },
    Source {
        kind: Kind::Workflow,
        attr: "",
        item: r#"
            fn side(path: String) {
                let w = write(path, (1, 2), Some(3));
                read(path).after(w);
                sub::flow(path = path);
            }"#,
    },
];

/// Extra tokens to insert: punctuation, edge-case literals, keywords and option names.
const EXTRA: &[&str] = &[
    ",",
    "=",
    ";",
    ":",
    "::",
    ".",
    "..",
    "!",
    "?",
    "#",
    "&",
    "*",
    "-",
    "->",
    "=>",
    "|",
    "||",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "_",
    "0",
    "1",
    "-1",
    "0.0",
    "1.5",
    "1e9",
    "2e308",
    "0x10",
    "1u8",
    "1.0f32",
    "4294967296",
    "99999999999999999999999999999999999999999",
    "\"\"",
    "\"0\"",
    "\"-1\"",
    "\"1e400\"",
    "\"0s\"",
    "\"18446744073709551615s\"",
    "\"340282366920938463463374607431768211455Ei\"",
    "\"é\"",
    "'a'",
    "'a",
    "b\"x\"",
    "r#type",
    "self",
    "Self",
    "super",
    "crate",
    "async",
    "await",
    "const",
    "unsafe",
    "extern",
    "impl",
    "dyn",
    "where",
    "let",
    "else",
    "if",
    "match",
    "for",
    "in",
    "loop",
    "return",
    "move",
    "default",
    "map",
    "with_overrides",
    "after",
    "partial",
    "concurrency",
    "min_success_ratio",
    "min_successes",
    "retries",
    "timeout",
    "cache",
    "cache_version",
    "cache_ignore_inputs",
    "requests",
    "limits",
    "cpu",
    "mem",
    "gpu",
    "name",
    "Result",
    "Option",
    "Vec",
    "String",
    "i64",
    "()",
    "x",
    "xs",
    "é",
];

/// The source as lexemes: each token, with a group's delimiters as tokens of their own, and
/// joint punctuation (`->`, `::`, `'a`) kept together, so that joining them with spaces
/// lexes back to the same tokens.
fn lexemes(tokens: TokenStream, out: &mut Vec<String>) {
    let mut pending = String::new();
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                out.push(std::mem::take(&mut pending) + open);
                lexemes(g.stream(), out);
                out.push(close.to_owned());
            }
            TokenTree::Punct(p) if p.spacing() == Spacing::Joint => pending.push(p.as_char()),
            TokenTree::Punct(p) => out.push(std::mem::take(&mut pending) + &p.as_char().to_string()),
            other => out.push(std::mem::take(&mut pending) + &other.to_string()),
        }
    }
    if !pending.is_empty() {
        out.push(pending);
    }
}

fn lex(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    lexemes(text.parse().expect("a valid source lexes"), &mut out);
    out
}

/// xorshift64*: a small, seeded, reproducible generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

/// One to four edits of `tokens`; new tokens come from `pool`.
fn mutate(rng: &mut Rng, tokens: &mut Vec<String>, pool: &[String]) {
    for _ in 0..=rng.below(4) {
        let len = tokens.len();
        match rng.below(6) {
            0 if len > 0 => {
                tokens.remove(rng.below(len));
            }
            1 => tokens.insert(rng.below(len + 1), pool[rng.below(pool.len())].clone()),
            2 if len > 1 => tokens.swap(rng.below(len), rng.below(len)),
            3 if len > 0 => tokens[rng.below(len)] = pool[rng.below(pool.len())].clone(),
            4 if len > 0 => {
                // A run of up to 6 tokens copied elsewhere.
                let start = rng.below(len);
                let run: Vec<String> = tokens[start..len.min(start + 1 + rng.below(6))].to_vec();
                let at = rng.below(len + 1);
                tokens.splice(at..at, run);
            }
            5 if len > 0 => {
                // A run of up to 6 tokens removed.
                let start = rng.below(len);
                tokens.drain(start..len.min(start + 1 + rng.below(6)));
            }
            _ => {}
        }
    }
}

fn expand(kind: Kind, attr: TokenStream, item: TokenStream) -> TokenStream {
    match kind {
        Kind::Task => crate::task::expand(attr, item),
        Kind::Workflow => crate::workflow::expand(attr, item),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn valid_sources_expand_without_errors() {
    for s in SOURCES {
        let out = expand(s.kind, s.attr.parse().unwrap(), s.item.parse().unwrap());
        let text = out.to_string();
        assert!(!text.contains("compile_error"), "{:?} {}: {text}", s.kind, s.item);
        syn::parse2::<syn::File>(out).unwrap_or_else(|e| panic!("{}: the expansion is not items: {e}", s.item));
        // The lexemes join back into the same tokens.
        let relexed: TokenStream = lex(s.item).join(" ").parse().unwrap();
        assert_eq!(relexed.to_string(), s.item.parse::<TokenStream>().unwrap().to_string());
    }
}

#[test]
fn mutated_sources_expand_to_items_or_errors() {
    let cases = env_u64("FLOWMAP_FUZZ_CASES").unwrap_or(3000);
    let seed = env_u64("FLOWMAP_FUZZ_SEED").unwrap_or(0x5eed_f10e_a9b1_7e57) | 1;
    let mut rng = Rng(seed);
    let mut pool: Vec<String> = EXTRA.iter().map(|s| (*s).to_owned()).collect();
    for s in SOURCES {
        pool.extend(lex(s.attr));
        pool.extend(lex(s.item));
    }
    let (mut expanded, mut with_errors) = (0u64, 0u64);
    let mut failures = Vec::new();
    // `cases` expansions: mutated sources that do not lex are drawn again, up to a limit.
    let mut case = 0u64;
    while expanded < cases && case < cases * 4 {
        case += 1;
        let s = &SOURCES[rng.below(SOURCES.len())];
        let (mut attr, mut item) = (lex(s.attr), lex(s.item));
        match rng.below(4) {
            0 => mutate(&mut rng, &mut attr, &pool),
            1 => {
                mutate(&mut rng, &mut attr, &pool);
                mutate(&mut rng, &mut item, &pool);
            }
            _ => mutate(&mut rng, &mut item, &pool),
        }
        let (attr_text, item_text) = (attr.join(" "), item.join(" "));
        // Edits that unbalance delimiters do not lex: rustc would not call the macro.
        let (Ok(attr_tokens), Ok(item_tokens)) = (attr_text.parse(), item_text.parse()) else { continue };
        let shown = || format!("case {case} (seed {seed}), {:?}:\n  attr: {attr_text}\n  item: {item_text}", s.kind);
        match catch_unwind(AssertUnwindSafe(|| expand(s.kind, attr_tokens, item_tokens))) {
            Ok(out) => {
                expanded += 1;
                with_errors += u64::from(out.to_string().contains("compile_error"));
                if let Err(e) = syn::parse2::<syn::File>(out) {
                    failures.push(format!("{}\n  the expansion is not items: {e}", shown()));
                }
            }
            Err(panic) => failures.push(format!("{}\n  panicked: {}", shown(), panic_message(panic.as_ref()))),
        }
    }
    assert!(failures.is_empty(), "{} of {case} cases failed:\n{}", failures.len(), failures.join("\n"));
    // The edits mostly lex, and many expansions report errors: the cases reach the macros' checks.
    assert_eq!(expanded, cases, "only {expanded} of {case} mutated sources lexed");
    assert!(with_errors * 4 >= expanded, "only {with_errors} of {expanded} expansions report an error");
    eprintln!("{expanded} expansions of {case} mutated sources, {with_errors} with errors");
}

/// Found by the fuzzing of `flowmap-settings`: `#[task(timeout = "...")]` panicked ("proc macro
/// panicked") on a timeout whose seconds reach `u64::MAX` with one more second in its smaller
/// units, inside `flowmap_settings::duration::parse_timeout` (humantime's carry overflow). Fixed
/// there.
#[test]
fn timeouts_beyond_a_duration_are_errors() {
    let attr: TokenStream = r#"timeout = "18446744073709551615s 1000ms""#.parse().unwrap();
    let item: TokenStream = "fn t() {}".parse().unwrap();
    let out = catch_unwind(AssertUnwindSafe(|| expand(Kind::Task, attr, item)));
    let out = out.map_err(|p| panic_message(p.as_ref())).expect("an error, not a panic");
    assert!(out.to_string().contains("compile_error"), "{out}");
}
