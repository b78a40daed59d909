//! The filter language's tests: parsing, errors, printing, typing and evaluation.

use super::{parse::join, *};

fn p(s: &str) -> Expr {
    match parse(s) {
        Ok(Some(e)) => e,
        other => panic!("{s:?} parsed to {other:?}"),
    }
}

fn err(s: &str) -> String {
    match parse(s) {
        Err(CatalogError::Meta(m)) => m,
        other => panic!("{s:?} should fail, got {other:?}"),
    }
}

fn cmp(key: &str, op: CompareOp, value: Literal) -> Expr {
    Expr::Compare { key: key.into(), op, value }
}

fn s(v: &str) -> Literal {
    Literal::String(v.into())
}

fn roundtrip(e: &Expr) {
    let text = e.to_string();
    assert_eq!(parse(&text).unwrap().as_ref(), Some(e), "{text}");
}

#[test]
fn empty_is_none() {
    assert_eq!(parse("").unwrap(), None);
    assert_eq!(parse("  \t\n ").unwrap(), None);
}

#[test]
fn operators() {
    use CompareOp::*;
    for (text, op) in [("=", Eq), ("!=", Ne), ("<>", Ne), ("<", Lt), ("<=", Le), (">", Gt), (">=", Ge)] {
        assert_eq!(p(&format!("ds {text} 'x'")), cmp("ds", op, s("x")), "{text}");
        assert_eq!(p(&format!("ds{text}'x'")), cmp("ds", op, s("x")), "{text}");
        // Reversed order flips the operator.
        assert_eq!(p(&format!("'x' {text} ds")), cmp("ds", op.flip(), s("x")), "{text}");
    }
    assert_eq!(p("5 < p"), cmp("p", Gt, Literal::Integer(5)));
    assert_eq!(p("5 >= p"), cmp("p", Le, Literal::Integer(5)));
}

#[test]
fn literals() {
    assert_eq!(p("p = 5"), cmp("p", CompareOp::Eq, Literal::Integer(5)));
    assert_eq!(p("p = -5"), cmp("p", CompareOp::Eq, Literal::Integer(-5)));
    assert_eq!(p("p=-9223372036854775808"), cmp("p", CompareOp::Eq, Literal::Integer(i64::MIN)));
    assert_eq!(p("p = 9223372036854775807"), cmp("p", CompareOp::Eq, Literal::Integer(i64::MAX)));
    assert!(err("p = 9223372036854775808").contains("out of range"));
    assert!(err("p = -9223372036854775809").contains("out of range"));
    assert_eq!(p("d = 2024-02-29"), cmp("d", CompareOp::Eq, Literal::Date("2024-02-29".into())));
    assert_eq!(p("d = DATE '2024-02-29'"), cmp("d", CompareOp::Eq, Literal::Date("2024-02-29".into())));
    assert_eq!(p("d = date \"2024-02-29\""), cmp("d", CompareOp::Eq, Literal::Date("2024-02-29".into())));
    assert_eq!(p("date '2024-01-01' < d"), cmp("d", CompareOp::Gt, Literal::Date("2024-01-01".into())));
    assert!(err("d = 2023-02-29").contains("invalid date 2023-02-29"));
    assert!(err("d = 2024-13-01").contains("invalid date"));
    assert!(err("d = DATE '2024-1-1'").contains("invalid date"));
    assert_eq!(p(r#"a = "it's""#), cmp("a", CompareOp::Eq, s("it's")));
    assert_eq!(p(r#"a = 'say "hi"'"#), cmp("a", CompareOp::Eq, s("say \"hi\"")));
    // Escapes are lexed but not processed: the value is the raw text.
    assert_eq!(p(r#"a = 'it\'s'"#), cmp("a", CompareOp::Eq, s(r"it\'s")));
    assert_eq!(p(r#"a = "x\\""#), cmp("a", CompareOp::Eq, s(r"x\\")));
    assert_eq!(p("a = ''"), cmp("a", CompareOp::Eq, s("")));
    assert_eq!(p("a = 'ünï'"), cmp("a", CompareOp::Eq, s("ünï")));
    // A date-looking string stays a string; the key's type decides later.
    assert_eq!(p(r#"ds = "2024-02-01""#), cmp("ds", CompareOp::Eq, s("2024-02-01")));
}

#[test]
fn keys_and_keywords() {
    assert_eq!(p("DS = 1"), cmp("ds", CompareOp::Eq, Literal::Integer(1)));
    assert_eq!(p("_x = 1"), cmp("_x", CompareOp::Eq, Literal::Integer(1)));
    assert_eq!(p("1a = 1"), cmp("1a", CompareOp::Eq, Literal::Integer(1)));
    assert_eq!(p("`Weird Key` = 1"), cmp("weird key", CompareOp::Eq, Literal::Integer(1)));
    assert_eq!(p("`a``b` = 1"), cmp("a`b", CompareOp::Eq, Literal::Integer(1)));
    assert_eq!(p("`and` = 1"), cmp("and", CompareOp::Eq, Literal::Integer(1)));
    assert_eq!(p("date = '2024-01-01'"), cmp("date", CompareOp::Eq, s("2024-01-01")));
    assert_eq!(
        p("a = 1 AnD b = 2 oR c LiKe 'x' and d NoT bEtWeEn 1 AND 2 or (e) NOT in (1)"),
        p("a = 1 and b = 2 or c like 'x' and d not between 1 and 2 or (e) not in (1)")
    );
    assert_eq!(
        parse_table_filter("hive_filter_field_params__TABLE_TYPE = 'x'").unwrap(),
        Some(cmp("hive_filter_field_params__TABLE_TYPE", CompareOp::Eq, s("x")))
    );
    assert!(err("`` = 1").contains("empty quoted key"));
    assert!(err("`ab = 1").contains("unterminated quoted key"));
}

#[test]
fn precedence_and_parens() {
    let a = cmp("a", CompareOp::Eq, Literal::Integer(1));
    let b = cmp("b", CompareOp::Eq, Literal::Integer(2));
    let c = cmp("c", CompareOp::Eq, Literal::Integer(3));
    assert_eq!(p("a = 1 or b = 2 and c = 3"), Expr::Or(vec![a.clone(), Expr::And(vec![b.clone(), c.clone()])]));
    assert_eq!(p("a = 1 and b = 2 or c = 3"), Expr::Or(vec![Expr::And(vec![a.clone(), b.clone()]), c.clone()]));
    assert_eq!(p("(a = 1 or b = 2) and c = 3"), Expr::And(vec![Expr::Or(vec![a.clone(), b.clone()]), c.clone()]));
    assert_eq!(p("((((a = 1))))"), a);
    // Same-kind nesting is flattened.
    assert_eq!(p("a = 1 and (b = 2 and c = 3)"), Expr::And(vec![a.clone(), b.clone(), c.clone()]));
    assert_eq!(p("(a = 1 or b = 2) or c = 3"), Expr::Or(vec![a, b, c]));
}

#[test]
fn in_and_between() {
    let ins = |negated| Expr::In {
        key: "k".into(),
        values: vec![s("a"), Literal::Integer(2), Literal::Date("2024-01-01".into())],
        negated,
    };
    assert_eq!(p("(k) in ('a', 2, 2024-01-01)"), ins(false));
    assert_eq!(p("(K) NOT IN ('a',2,2024-01-01)"), ins(true));
    assert_eq!(p("(k) in ('a', 2, 2024-01-01)"), ins(false));
    assert_eq!(p("(k) not in ('a', 2, date '2024-01-01')"), ins(true));
    // Apache HMS 2.3 requires the parentheses around the key, and has no `==`.
    assert!(err("k in ('a')").starts_with("Error parsing partition filter"));
    assert!(err("k == 'a'").starts_with("Error parsing partition filter"));
    assert_eq!(p("(`k`) in ('a', 2, 2024-01-01)"), ins(false));
    let betw =
        |negated| Expr::Between { key: "k".into(), low: Literal::Integer(1), high: Literal::Integer(10), negated };
    assert_eq!(p("k between 1 and 10"), betw(false));
    assert_eq!(p("k NOT BETWEEN 1 AND 10"), betw(true));
    assert_eq!(
        p("k between 1 and 10 and j = 1"),
        Expr::And(vec![betw(false), cmp("j", CompareOp::Eq, Literal::Integer(1))])
    );
    assert!(err("(k) in ()").contains("expected a literal in the IN list"));
    assert!(err("(k) in (1, )").contains("expected a literal in the IN list"));
    assert!(err("(k) in (1 2)").contains("expected ',' or ')'"));
    assert!(err("(k) in 1").contains("expected '(' after IN"));
    assert!(err("k between 1").contains("AND between the bounds"));
    assert!(err("k not like 'x'").contains("expected BETWEEN after NOT"));
    assert!(err("(struct(a,b)) in (const struct(1,2))").contains("STRUCT"));
}

#[test]
fn spark_strings() {
    let d = |v: &str| s(v);
    assert_eq!(p(r#"ds = "2024-02-01""#), cmp("ds", CompareOp::Eq, d("2024-02-01")));
    assert_eq!(
        p(r#"ds >= "2024-01-02" and ds < "2024-01-04""#),
        Expr::And(vec![cmp("ds", CompareOp::Ge, d("2024-01-02")), cmp("ds", CompareOp::Lt, d("2024-01-04"))])
    );
    assert_eq!(
        p(r#"(ds) in ("2024-01-01", "2024-01-04")"#),
        Expr::In { key: "ds".into(), values: vec![d("2024-01-01"), d("2024-01-04")], negated: false }
    );
    assert_eq!(p("p = 5"), cmp("p", CompareOp::Eq, Literal::Integer(5)));
    assert_eq!(p(r#"c like ".*v.*""#), Expr::Like { key: "c".into(), pattern: ".*v.*".into() });
    assert_eq!(p(r#"c like "v%""#), Expr::Like { key: "c".into(), pattern: "v%".into() });
    assert_eq!(
        p(r#"(c = "a" or c = "b") and p != 5"#),
        Expr::And(vec![
            Expr::Or(vec![cmp("c", CompareOp::Eq, s("a")), cmp("c", CompareOp::Eq, s("b"))]),
            cmp("p", CompareOp::Ne, Literal::Integer(5)),
        ])
    );
}

#[test]
fn table_filters() {
    let e = parse_table_filter(r#"hive_filter_field_params__table_type like "ICEBERG""#).unwrap().unwrap();
    assert_eq!(e, Expr::Like { key: "hive_filter_field_params__table_type".into(), pattern: "ICEBERG".into() });
    let lookup =
        |tt: &'static str| move |k: &str| (k == "hive_filter_field_params__table_type").then_some(Value::String(tt));
    assert!(e.eval(&lookup("ICEBERG")));
    assert!(!e.eval(&lookup("iceberg")));
    assert!(!e.eval(&|_| None), "a table without the parameter never matches");
    let e = parse_table_filter(r#"hive_filter_field_params__presto_view = "true""#).unwrap().unwrap();
    assert!(e.eval(&|k| (k == "hive_filter_field_params__presto_view").then_some(Value::String("true"))));
    assert!(!e.eval(&|_| None));
    let e = parse_table_filter("hive_filter_field_last_access__ > 10").unwrap().unwrap();
    assert!(e.eval(&|_| Some(Value::Integer(Some(11)))));
    assert!(!e.eval(&|_| Some(Value::Integer(Some(10)))));
}

#[test]
fn errors() {
    let e = err("a <=> 1");
    assert!(e.starts_with("Error parsing partition filter : "), "{e}");
    assert!(e.contains("Unsupported comparison operator"), "{e}");
    assert!(err("1 <=> a").contains("Unsupported comparison operator"));
    assert!(err("'x' like c").contains(LIKE_VALUE_ON_RHS));
    assert!(err("c like 5").contains("expected a quoted pattern after LIKE"));
    assert!(err("c like '('").contains("invalid LIKE pattern"));
    assert_eq!(
        err("a = "),
        "Error parsing partition filter : expected a literal after '=', found the end of the filter"
    );
    assert_eq!(
        err("a = 1 b = 2"),
        "Error parsing partition filter : expected AND, OR or the end of the filter, found key 'b' at position 7"
    );
    assert!(err("a = b").contains("expected a literal after '=', found key 'b' at position 5"));
    assert!(err("1 = 2").contains("expected a key after '='"));
    assert!(err("1 =").contains("expected a key after '=' (one side must be a key), found the end"));
    assert!(err("a").contains("expected a comparison operator, LIKE, BETWEEN or IN after key 'a'"));
    assert!(err("(a = 1").contains("')' closing the '(' at position 1"));
    assert!(err("a = 1)").contains("found ')' at position 6"));
    assert!(err("a = 'x").contains("unterminated string starting at position 5"));
    assert!(err("a = 'x\\'").contains("unterminated string"));
    assert!(err("a ! 1").contains("unexpected character '!' at position 3"));
    assert!(err("a = 1.5").contains("unexpected character '.'"));
    assert!(err("a = -x").contains("unexpected character '-'"));
    assert!(err("a = -5x").contains("malformed number"));
    assert!(err("a = 2024-01-01x").contains("malformed date"));
    assert!(err("not a = 1").contains("expected a key, a literal or '('"));
    assert!(err("a = 1 and").contains("found the end of the filter"));
    assert!(err("a is null").contains("after key 'a'"));
    assert!(err("a = 1 # x").contains("unexpected character '#'"));
    assert!(err("a = ü").contains("unexpected character 'ü' at position 5"));
    assert!(err("b = 'ü' and ü").contains("unexpected character 'ü' at position 13"));
}

#[test]
fn depth_is_bounded() {
    let nested = |n: usize| format!("{}a = 1{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&nested(MAX_DEPTH)).is_ok());
    assert!(err(&nested(MAX_DEPTH + 1)).contains("nested more than 200 deep"));
    assert!(parse(&"(".repeat(100_000)).is_err());
    assert!(parse(&nested(100_000)).is_err());
    // Long flat chains are fine (n-ary, no deep tree).
    let chain = vec!["a = 1"; 50_000].join(" and ");
    let e = p(&chain);
    assert!(matches!(&e, Expr::And(v) if v.len() == 50_000));
    assert!(e.eval(&|_| Some(Value::Integer(Some(1)))));
    roundtrip(&e);
}

#[test]
fn keys_list() {
    let e = p("b = 1 and (a = 2 or B = 3) and (c) in (1) and d between 1 and 2 and e like 'x'");
    assert_eq!(e.keys(), vec!["b", "a", "c", "d", "e"]);
}

fn row<'a>(pairs: &'a [(&'a str, Value<'a>)]) -> impl Fn(&str) -> Option<Value<'a>> + 'a {
    move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)
}

#[test]
fn eval_strings() {
    let r = [("ds", Value::String("2024-01-03"))];
    let t = |f: &str| p(f).eval(&row(&r));
    assert!(t(r#"ds = "2024-01-03""#));
    assert!(t(r#"ds >= "2024-01-02" and ds < "2024-01-04""#));
    assert!(!t(r#"ds >= "2024-01-04""#));
    assert!(t(r#"ds != "x""#));
    assert!(t(r#"ds <> "x""#));
    assert!(t(r#""2024-01-04" > ds"#));
    assert!(t(r#"(ds) in ("2024-01-01", "2024-01-03")"#));
    assert!(!t(r#"(ds) not in ("2024-01-01", "2024-01-03")"#));
    assert!(t(r#"(ds) not in ("2024-01-01", "2024-01-04")"#));
    assert!(t("ds between '2024-01-01' and '2024-01-03'"));
    assert!(!t("ds not between '2024-01-01' and '2024-01-03'"));
    assert!(t("ds not between '2024-01-04' and '2024-01-09'"));
    // A date literal on a string key compares as its text.
    assert!(t("ds = 2024-01-03"));
    assert!(t("ds < 2024-01-10"));
    // Lexicographic, not numeric.
    let r = [("s", Value::String("10"))];
    assert!(p("s < '9'").eval(&row(&r)));
    // A string key against an integer literal is a type error; eval says false.
    assert!(!p("s = 10").eval(&row(&r)));
    assert!(!p("s != 10").eval(&row(&r)));
    // An absent key matches nothing.
    assert!(!p("zz != 'a'").eval(&row(&r)));
}

#[test]
fn eval_like() {
    let t = |f: &str, v: &str| p(f).eval(&|_| Some(Value::String(v)));
    assert!(t(r#"c like ".*v.*""#, "avb"));
    assert!(t(r#"c like ".*v.*""#, "v"));
    assert!(!t(r#"c like ".*v.*""#, "abc"));
    // Apache HMS 2.3: the pattern is a regex; `%` and `_` are plain characters.
    assert!(!t(r#"c like "v%""#, "vxyz"));
    assert!(t(r#"c like "v%""#, "v%"));
    assert!(!t(r#"c like "v_""#, "vx"));
    assert!(t(r#"c like "v_""#, "v_"));
    assert!(t(r#"c like "v.*""#, "vxyz"));
    assert!(t(r#"c like "a.c""#, "abc"), "regex chars pass through");
    assert!(t(r#"c like "a\.c""#, "a.c"));
    assert!(!t(r#"c like "a\.c""#, "abc"));
    assert!(!t(r#"c like "ab""#, "xaby"), "whole-string match");
    assert!(!t(r#"c like "a|b""#, "ab"), "alternation stays inside the anchors");
    assert!(t(r#"c like "a|b""#, "b"));
    assert!(!p("c like 'x'").eval(&|_| Some(Value::Integer(Some(1)))));
    assert_eq!(like_to_regex(r"v%_\."), r"\A(?:v%_\.)\z");
    // Reusable matcher.
    let e = p("c like 'a.*' or c like 'b.*'");
    let m = e.matcher();
    let hits: Vec<_> = ["ax", "bx", "cx"].into_iter().filter(|v| m.matches(&|_| Some(Value::String(v)))).collect();
    assert_eq!(hits, ["ax", "bx"]);
}

#[test]
fn eval_integers() {
    let t = |f: &str, v: Option<i64>| p(f).eval(&|_| Some(Value::Integer(v)));
    assert!(t("p = 5", Some(5)));
    assert!(t("p > 5", Some(10)), "numeric, not lexicographic");
    assert!(t("p < 10", Some(9)));
    assert!(t("p <= 5 and p >= 5", Some(5)));
    assert!(t("p between 1 and 10", Some(10)));
    assert!(t("p not between 1 and 10", Some(11)));
    assert!(t("(p) in (1, 2)", Some(2)));
    assert!(t("(p) not in (1, 2)", Some(3)));
    assert!(t("-1 < p", Some(0)));
    // NULL (default partition) matches nothing.
    for f in ["p = 5", "p != 5", "p < 5", "(p) in (5)", "(p) not in (5)", "p between 1 and 2", "p not between 1 and 2"]
    {
        assert!(!t(f, None), "{f}");
    }
    // Type mismatches are false.
    assert!(!t("p = '5'", Some(5)));
    assert!(!t("p != '5'", Some(5)));
}

#[test]
fn eval_dates() {
    let t = |f: &str, v: Option<&str>| p(f).eval(&|_| Some(Value::Date(v)));
    assert!(t("d = 2024-01-05", Some("2024-01-05")));
    assert!(t("d = '2024-01-05'", Some("2024-01-05")));
    assert!(t("d = \"2024-1-5\"", Some("2024-01-05")), "compared as dates");
    assert!(t("d > '2024-1-4'", Some("2024-01-10")));
    assert!(t("d between 2024-01-01 and date '2024-01-31'", Some("2024-01-31")));
    assert!(t("d not between 2024-01-01 and 2024-01-31", Some("2024-02-01")));
    assert!(t("(d) in ('2024-01-05', 2024-01-06)", Some("2024-01-06")));
    assert!(!t("d = 'not a date'", Some("2024-01-05")));
    assert!(!t("d = 2024-01-05", Some("garbage")));
    assert!(!t("d != 2024-01-05", None));
    assert!(!t("(d) not in (2024-01-05)", None));
}

#[test]
fn value_for_partition() {
    let d = crate::partname::DEFAULT_PARTITION_NAME;
    assert_eq!(Value::for_partition_value(KeyType::Integer, "42", d), Value::Integer(Some(42)));
    assert_eq!(Value::for_partition_value(KeyType::Integer, d, d), Value::Integer(None));
    assert_eq!(Value::for_partition_value(KeyType::Integer, "x", d), Value::Integer(None));
    assert_eq!(Value::for_partition_value(KeyType::Date, d, d), Value::Date(None));
    assert_eq!(Value::for_partition_value(KeyType::Date, "2024-01-01", d), Value::Date(Some("2024-01-01")));
    assert_eq!(Value::for_partition_value(KeyType::String, d, d), Value::String(d));
    assert_eq!(KeyType::from_hive_type("BIGINT"), KeyType::Integer);
    assert_eq!(KeyType::from_hive_type("string"), KeyType::String);
    assert_eq!(KeyType::from_hive_type("date"), KeyType::Date);
    assert_eq!(KeyType::from_hive_type("varchar(10)"), KeyType::Other);
}

#[test]
fn type_checks() {
    let types = |k: &str| match k {
        "s" => Some(KeyType::String),
        "i" => Some(KeyType::Integer),
        "d" => Some(KeyType::Date),
        "v" => Some(KeyType::Other),
        _ => None,
    };
    let check = |f: &str| p(f).check_types(&types);
    for ok in [
        "s = 'a'",
        "s < 2024-01-01",
        "s like 'a%'",
        "i = 5",
        "(i) in (1, 2)",
        "i between 1 and 2",
        "d = 2024-01-01",
        "d = '2024-01-01'",
        "d between '2024-01-01' and 2024-02-01",
        "S = 'a' and (I = 1 or d = 2024-01-01)",
    ] {
        assert_eq!(check(ok), Ok(()), "{ok}");
    }
    let string_only = Err(CatalogError::Meta(STRING_KEYS_ONLY.into()));
    for bad in [
        "s = 5",
        "(s) in ('a', 5)",
        "i = '5'",
        "i = 2024-01-01",
        "i between 1 and '2'",
        "d = 'x'",
        "d = 5",
        "v = 'a'",
        "i like '5'",
        "d like '2024%'",
        "v like 'a'",
    ] {
        assert_eq!(check(bad), string_only, "{bad}");
    }
    assert_eq!(
        check("s = 'a' or Zz = 1"),
        Err(CatalogError::Meta("Specified key <zz> is not a partitioning key for the table".into()))
    );
}

#[test]
fn display_is_canonical() {
    assert_eq!(p("A=1 AND (b<>'x' OR c LIKE \"y%\")").to_string(), r#"a = 1 and (b != "x" or c like "y%")"#);
    assert_eq!(p("a = 1 or b = 2 and c = 3").to_string(), "a = 1 or (b = 2 and c = 3)");
    assert_eq!(p("(k) in (1, 'a', DATE '2024-01-01')").to_string(), r#"(k) in (1, "a", 2024-01-01)"#);
    assert_eq!(p("k not between 1 and 2").to_string(), "k not between 1 and 2");
    assert_eq!(p("`in` = 1").to_string(), "`in` = 1");
    assert_eq!(p("`12` = 1").to_string(), "`12` = 1");
    assert_eq!(p("`a b``c` = 1").to_string(), "`a b``c` = 1");
    assert_eq!(p(r#"a = 'say "hi"'"#).to_string(), r#"a = 'say "hi"'"#);
    assert_eq!(p(r#"a = "it\"s""#).to_string(), r#"a = "it\"s""#);
    for f in [
        "a = 1 and (b != 'x' or c like 'y%')",
        r#"a = 'it\'s' or b = "q\"" or c = '"'"#,
        "date = date '2024-01-01' and (date) not in (2024-01-02)",
        "x = -0",
    ] {
        roundtrip(&p(f));
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z_][a-z0-9_]{0,6}",
            Just("and".to_string()),
            Just("date".to_string()),
            Just("123".to_string()),
            "[a-z `é-]{1,6}",
        ]
    }

    fn literal() -> impl Strategy<Value = Literal> {
        prop_oneof![
            "[a-zA-Z0-9 %_.'-]{0,8}".prop_map(Literal::String),
            "[a-z\"\\\\]{0,6}".prop_filter_map("must lex in some quotes", |s| {
                (fits_in_quotes(&s, b'"') || fits_in_quotes(&s, b'\'')).then_some(Literal::String(s))
            }),
            any::<i64>().prop_map(Literal::Integer),
            (1u32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| Literal::Date(format!("{y:04}-{m:02}-{d:02}"))),
        ]
    }

    fn op() -> impl Strategy<Value = CompareOp> {
        use CompareOp::*;
        prop_oneof![Just(Eq), Just(Ne), Just(Lt), Just(Le), Just(Gt), Just(Ge)]
    }

    fn leaf() -> impl Strategy<Value = Expr> {
        prop_oneof![
            (key(), op(), literal()).prop_map(|(key, op, value)| Expr::Compare { key, op, value }),
            (key(), "[a-z%_.]{0,6}").prop_map(|(key, pattern)| Expr::Like { key, pattern }),
            (key(), prop::collection::vec(literal(), 1..4), any::<bool>())
                .prop_map(|(key, values, negated)| Expr::In { key, values, negated }),
            (key(), literal(), literal(), any::<bool>()).prop_map(|(key, low, high, negated)| Expr::Between {
                key,
                low,
                high,
                negated
            }),
        ]
    }

    fn expr() -> impl Strategy<Value = Expr> {
        leaf().prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(|v| join(v, true)),
                prop::collection::vec(inner, 2..4).prop_map(|v| join(v, false)),
            ]
        })
    }

    fn filterish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just(" and ".to_string()),
            Just(" OR ".to_string()),
            Just(" not ".to_string()),
            Just(" in ".to_string()),
            Just(" between ".to_string()),
            Just(" like ".to_string()),
            Just(" date ".to_string()),
            Just("2024-02-29".to_string()),
            "[a-z0-9_()'\"`=<>!, \\\\-]{1,4}",
        ];
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    fn reparses(text: &str) -> Result<(), TestCaseError> {
        if let Ok(Some(e)) = parse(text) {
            let shown = e.to_string();
            prop_assert_eq!(parse(&shown), Ok(Some(e)), "{} → {}", text, shown);
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn never_panics_on_any_string(text in ".{0,40}") {
            reparses(&text)?;
        }

        #[test]
        fn never_panics_on_filter_like_strings(text in filterish()) {
            reparses(&text)?;
        }

        #[test]
        fn display_reparses(e in expr()) {
            let shown = e.to_string();
            let mut lowered = e.clone();
            lowercase_keys(&mut lowered);
            prop_assert_eq!(parse(&shown), Ok(Some(lowered)), "{}", shown);
            prop_assert_eq!(parse_table_filter(&shown), Ok(Some(e)), "{}", shown);
        }
    }

    fn lowercase_keys(e: &mut Expr) {
        match e {
            Expr::And(v) | Expr::Or(v) => v.iter_mut().for_each(lowercase_keys),
            Expr::Compare { key, .. } | Expr::Like { key, .. } | Expr::In { key, .. } | Expr::Between { key, .. } => {
                *key = key.to_lowercase();
            }
        }
    }
}
