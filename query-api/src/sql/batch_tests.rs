use super::*;
use crate::sql::Planning;
use uuid::Uuid;

fn template(args: Vec<Arg>, text: &str) -> Sql {
    let mut sql = Sql::new(Dialect::Postgres);
    sql.push(text);
    sql.args = args;
    sql.plan_once();
    sql
}

#[test]
fn varying_arguments_become_unnested_columns_and_shared_ones_stay_parameters() {
    let t = template(
        vec![Arg::Text("article".into()), Arg::Text("a-1".into()), Arg::TextArray(vec!["published".into()])],
        "SELECT id FROM content_items WHERE type = $1 AND slug = $2 AND status = ANY($3) LIMIT 1",
    );
    let a = t.args.clone();
    let mut b = t.args.clone();
    b[1] = Arg::Text("a-2".into());
    let sql = batched(&t, &[&a, &b]);
    assert_eq!(
        sql.text,
        "SELECT b.folio_member, q.* FROM unnest($1::text[]) WITH ORDINALITY AS b(a2, folio_member) \
         CROSS JOIN LATERAL (SELECT id FROM content_items WHERE type = $2 AND slug = b.a2 AND status = ANY($3) \
         LIMIT 1 OFFSET 0) AS q"
    );
    assert_eq!(
        sql.args,
        vec![
            Arg::TextArray(vec!["a-1".into(), "a-2".into()]),
            Arg::Text("article".into()),
            Arg::TextArray(vec!["published".into()]),
        ]
    );
    assert_eq!(sql.planning, Planning::Generic);
}

#[test]
fn placeholders_past_nine_are_read_whole() {
    let args: Vec<Arg> = (0..11).map(Arg::I64).collect();
    let text: String = (1..=11).map(|n| format!("${n}")).collect::<Vec<_>>().join(",");
    let t = template(args.clone(), &format!("SELECT {text}"));
    let mut other = args.clone();
    other[0] = Arg::I64(100);
    other[9] = Arg::I64(900);
    let sql = batched(&t, &[&args, &other]);
    // $1 and $10 vary; the other nine are shared parameters $3..$11 in their order.
    assert!(sql.text.contains("SELECT b.a1,$3,$4,$5,$6,$7,$8,$9,$10,b.a10,$11 OFFSET 0"), "{}", sql.text);
    assert_eq!(sql.args[0], Arg::I64Array(vec![0, 100]));
    assert_eq!(sql.args[1], Arg::I64Array(vec![9, 900]));
    assert_eq!(sql.args.len(), 11);
}

#[test]
fn a_varying_array_goes_in_as_literals_and_is_cast_back() {
    let u = Uuid::from_u128(7);
    let t =
        template(vec![Arg::Text("1".into()), Arg::UuidArray(vec![u])], "SELECT * FROM s WHERE u = $1 AND i = ANY($2)");
    let other = vec![Arg::Text("2".into()), Arg::UuidArray(vec![])];
    let sql = batched(&t, &[&t.args, &other]);
    assert!(sql.text.contains("unnest($1::text[], $2::text[])"), "{}", sql.text);
    assert!(sql.text.contains("i = ANY(b.a2::uuid[])"), "{}", sql.text);
    assert_eq!(sql.args[1], Arg::TextArray(vec![format!("{{\"{u}\"}}"), "{}".into()]));
}

#[test]
fn array_literals_escape_quotes_and_backslashes() {
    let arg = Arg::TextArray(vec![r#"a"b"#.into(), r"c\d".into(), "e,f}".into(), String::new()]);
    assert_eq!(array_literal(&arg), r#"{"a\"b","c\\d","e,f}",""}"#);
    assert_eq!(array_literal(&Arg::F64Array(vec![1.5, f64::INFINITY, f64::NAN])), r#"{"1.5","Infinity","NaN"}"#);
    assert_eq!(array_literal(&Arg::TimeArray(vec![1_500_000])), r#"{"1970-01-01 00:00:01.500000+00"}"#);
    // Years past 9999 unsigned, years before 1 with BC (year 0 is 1 BC), as PostgreSQL reads them.
    let year = |y: i32| chrono::NaiveDate::from_ymd_opt(y, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
    let micros = |y: i32| year(y).timestamp_micros();
    assert_eq!(time_text(micros(12345)), "12345-01-01 00:00:00.000000+00");
    assert_eq!(time_text(micros(0)), "0001-01-01 00:00:00.000000+00 BC");
    assert_eq!(time_text(micros(-99)), "0100-01-01 00:00:00.000000+00 BC");
}

#[test]
fn equal_members_share_one_representative() {
    let (a, b, c) = (vec![Arg::I64(1)], vec![Arg::I64(2)], vec![Arg::I64(1)]);
    let (representatives, of_member) = distinct(&[&a, &b, &c, &b]);
    assert_eq!(representatives, vec![0, 1]);
    assert_eq!(of_member, vec![0, 1, 0, 1]);
}

#[test]
fn varying_scalars_of_each_kind_go_in_as_arrays_of_that_kind() {
    let (u, v) = (Uuid::now_v7(), Uuid::now_v7());
    let t = template(
        vec![Arg::Uuid(u), Arg::F64(1.5), Arg::Time(10), Arg::I64(1)],
        "SELECT * FROM s WHERE u = $1 AND f = $2 AND t = $3 AND i = $4",
    );
    let other = vec![Arg::Uuid(v), Arg::F64(2.5), Arg::Time(20), Arg::I64(2)];
    let sql = batched(&t, &[&t.args, &other]);
    assert!(
        sql.text.starts_with(
            "SELECT b.folio_member, q.* FROM unnest($1::uuid[], $2::float8[], $3::timestamptz[], $4::int8[])"
        ),
        "{}",
        sql.text
    );
    assert_eq!(
        sql.args,
        vec![
            Arg::UuidArray(vec![u, v]),
            Arg::F64Array(vec![1.5, 2.5]),
            Arg::TimeArray(vec![10, 20]),
            Arg::I64Array(vec![1, 2]),
        ]
    );
}
