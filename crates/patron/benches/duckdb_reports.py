"""Reference for the reports benchmark: DuckDB (two threads) working from the raw rows Patron
stored, exported as CSV (sales, lines, refunds and refunded lines, with their local day, month
and hour).

1. The report roll-ups, the same six tables `patron reports rebuild` writes, with the same
   statements, from the CSV files: timed RUNS times on a fresh in-memory database, reading the
   files included ("from the raw CSV"), and the aggregation alone. Checksums of the tables.
2. The reports named in DIR/spec.json, computed from the raw rows (not from roll-ups): sales by
   each grouping, the summary's figures, cohorts and the lifecycle flow. Untimed.

python3 duckdb_reports.py DIR   (needs `pip install duckdb`)

Prints one JSON object on standard output.
"""
import json
import statistics
import sys
import time

try:
    import duckdb
except ImportError:
    sys.stderr.write(
        "duckdb_reports.py needs DuckDB for Python, which is not installed: pip install duckdb\n"
    )
    sys.exit(2)

folder = sys.argv[1]
with open(f"{folder}/spec.json", encoding="utf-8") as f:
    spec = json.load(f)

B, T = "BIGINT", "VARCHAR"
COLUMNS = {
    "sales": {"id": B, "store_id": B, "customer_id": B, "staff_id": B, "local_day": B,
              "local_month": B, "local_hour": B, "net_fen": B, "points_earned": B,
              "points_value_fen": B},
    "sale_lines": {"sale_id": B, "line_no": B, "sku": T, "category": T, "quantity": B,
                   "net_fen": B},
    "refunds": {"id": B, "sale_id": B, "store_id": B, "customer_id": B, "local_day": B,
                "local_month": B, "local_hour": B, "net_fen": B},
    "refund_lines": {"refund_id": B, "line_no": B, "net_fen": B},
    "stores": {"store_no": B, "code": T},
    "staff": {"staff_no": B, "username": T},
    "customers": {"id": B, "store_id": B, "created_day": B, "status": T},
}


def load(db, name):
    cols = ", ".join(f"'{c}': '{t}'" for c, t in COLUMNS[name].items())
    db.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv('{folder}/{name}.csv', "
               f"header = true, columns = {{{cols}}})")


def connect():
    db = duckdb.connect()
    db.execute("SET threads = 2")
    return db


# The statements of `patron-store/src/reports/rebuild.rs` (its SQL path), with the chain's
# rows. There are no coupons in the
# benchmark's data, so the coupon measures are 0 without reading a coupons table.
ITEMS = "(SELECT sale_id, SUM(quantity) AS items FROM sale_lines GROUP BY sale_id)"
DAYS = f"""CREATE TABLE report_days AS
SELECT store_id, day, member, SUM(receipts) AS receipts, SUM(items) AS items,
       SUM(net_fen) AS net_fen, SUM(refund_fen) AS refund_fen, SUM(pe) AS points_earned,
       SUM(pv) AS points_value_fen, 0 AS coupon_fen, SUM(ps) AS points_sales_fen,
       0 AS coupon_sales_fen
FROM (
  SELECT s.store_id, s.local_day AS day, CASE WHEN s.customer_id IS NULL THEN 0 ELSE 1 END AS member,
         1 AS receipts, l.items, s.net_fen, 0 AS refund_fen, s.points_earned AS pe,
         s.points_value_fen AS pv, CASE WHEN s.points_value_fen > 0 THEN s.net_fen ELSE 0 END AS ps
  FROM sales s JOIN {ITEMS} l ON l.sale_id = s.id
  UNION ALL
  SELECT r.store_id, r.local_day, CASE WHEN r.customer_id IS NULL THEN 0 ELSE 1 END,
         0, 0, 0, r.net_fen, 0, 0, 0 FROM refunds r
) x GROUP BY store_id, day, member"""


def by_sale(table, column, sale_key, refund_key):
    return f"""CREATE TABLE {table} AS
SELECT store_id, day, k AS {column}, SUM(receipts) AS receipts, SUM(items) AS items,
       SUM(net_fen) AS net_fen, SUM(refund_fen) AS refund_fen
FROM (
  SELECT s.store_id, s.local_day AS day, {sale_key} AS k, 1 AS receipts, l.items, s.net_fen,
         0 AS refund_fen
  FROM sales s JOIN {ITEMS} l ON l.sale_id = s.id
  UNION ALL
  SELECT r.store_id, r.local_day, {refund_key}, 0, 0, 0, r.net_fen
  FROM refunds r JOIN sales s ON s.id = r.sale_id
) x GROUP BY store_id, day, k"""


def by_line(table, keys, period, column):
    line_keys = ", ".join(f"l.{k}" for k in keys.split(", "))
    return f"""CREATE TABLE {table} AS
SELECT store_id, period AS {column}, {keys}, SUM(receipts) AS receipts, SUM(items) AS items,
       SUM(net_fen) AS net_fen, SUM(refund_fen) AS refund_fen
FROM (
  SELECT s.store_id, s.{period} AS period, {line_keys}, 1 AS receipts, l.items, l.net_fen,
         0 AS refund_fen
  FROM (SELECT sale_id, {keys}, SUM(quantity) AS items, SUM(net_fen) AS net_fen
        FROM sale_lines GROUP BY sale_id, {keys}) l
  JOIN sales s ON s.id = l.sale_id
  UNION ALL
  SELECT r.store_id, r.{period}, {line_keys}, 0, 0, 0, rl.net_fen
  FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
  JOIN sale_lines l ON l.sale_id = r.sale_id AND l.line_no = rl.line_no
) x GROUP BY store_id, period, {keys}"""


FOUR = ["receipts", "items", "net_fen", "refund_fen"]
NINE = FOUR + ["points_earned", "points_value_fen", "coupon_fen", "points_sales_fen",
               "coupon_sales_fen"]


def chain(table, keys, measures):
    """The chain's own rows (store 0), summed from the stores' as Patron keeps them."""
    sums = ", ".join(f"SUM({m})" for m in measures)
    return f"INSERT INTO {table} SELECT 0, {keys}, {sums} FROM {table} GROUP BY {keys}"


ROLLUPS = [
    DAYS,
    chain("report_days", "day, member", NINE),
    by_sale("report_hours", "hour", "s.local_hour", "r.local_hour"),
    chain("report_hours", "day, hour", FOUR),
    by_sale("report_staff_days", "staff_id", "COALESCE(s.staff_id, 0)", "COALESCE(s.staff_id, 0)"),
    chain("report_staff_days", "day, staff_id", FOUR),
    by_line("report_category_days", "category", "local_day", "day"),
    chain("report_category_days", "day, category", FOUR),
    by_line("report_product_days", "sku, category", "local_day", "day"),
    chain("report_product_days", "day, sku, category", FOUR),
    by_line("report_product_months", "sku, category", "local_month", "month"),
    chain("report_product_months", "month, sku, category", FOUR),
]

# As in reports.rs: table, period column, a number made of the key.
CHECKED = [
    ("report_days", "day", "member"),
    ("report_hours", "day", "hour"),
    ("report_staff_days", "day", "staff_id"),
    ("report_category_days", "day", "length(category)"),
    ("report_product_days", "day", "length(sku) + length(category)"),
    ("report_product_months", "month", "length(sku) + length(category)"),
]


def checksums(db):
    out = {}
    for table, period, key in CHECKED:
        row = db.execute(
            f"SELECT COUNT(*), SUM(receipts), SUM(items), SUM(net_fen), SUM(refund_fen), "
            f"SUM(({period} % 10000) * (net_fen - refund_fen)), SUM(store_id * receipts), "
            f"SUM(({key}) * items) FROM {table}").fetchone()
        out[table] = [int(v or 0) for v in row]
    return out


totals, aggs, sums = [], [], {}
for _ in range(int(spec.get("runs", 3))):
    db = connect()
    started = time.perf_counter()
    for name in ["sales", "sale_lines", "refunds", "refund_lines"]:
        load(db, name)
    loaded = time.perf_counter()
    for statement in ROLLUPS:
        db.execute(statement)
    done = time.perf_counter()
    totals.append(done - started)
    aggs.append(done - loaded)
    sums = checksums(db)
    db.close()

# The reports, from the raw rows.
db = connect()
for name in COLUMNS:
    load(db, name)
DATE = "make_date(local_day // 10000, (local_day // 100) % 100, local_day % 100)"
db.execute(f"CREATE TABLE sx AS SELECT s.*, l.items, {DATE} AS d "
           f"FROM sales s JOIN {ITEMS} l ON l.sale_id = s.id")
db.execute(f"CREATE TABLE rx AS SELECT r.*, s.staff_id, {DATE.replace('local_day', 'r.local_day')} AS d "
           f"FROM refunds r JOIN sales s ON s.id = r.sale_id")

SALE_KEYS = {
    "day": "strftime(x.d, '%Y-%m-%d')",
    "week": "strftime(date_trunc('week', x.d), '%Y-%m-%d')",
    "month": "strftime(x.d, '%Y-%m')",
    "store": "st.code",
    "hour": "CAST(x.local_hour AS VARCHAR)",
    "weekday": "CAST(isodow(x.d) AS VARCHAR)",
    "member": "CASE WHEN x.customer_id IS NULL THEN 'walk_in' ELSE 'member' END",
    "staff": "COALESCE(sf.username, '')",
}
LINE_KEYS = {"category": "category", "product": "sku"}


def store_filter(alias, store):
    return "" if store is None else f" AND {alias}.store_id = {int(store)}"


def sales(q):
    f, t, g = int(q["from"]), int(q["to"]), q["group_by"]
    if g in SALE_KEYS:
        key = SALE_KEYS[g]
        part = lambda table, measures: (
            f"SELECT {key} AS key, {measures} FROM {table} x "
            f"LEFT JOIN stores st ON st.store_no = x.store_id "
            f"LEFT JOIN staff sf ON sf.staff_no = x.staff_id "
            f"WHERE x.local_day BETWEEN {f} AND {t}{store_filter('x', q['store'])}")
        sql = (f"SELECT key, SUM(rc), SUM(it), SUM(nt), SUM(rf) FROM ("
               f"{part('sx', '1 AS rc, x.items AS it, x.net_fen AS nt, 0 AS rf')} UNION ALL "
               f"{part('rx', '0, 0, 0, x.net_fen')}) GROUP BY key")
    else:
        col = LINE_KEYS[g]
        sql = f"""SELECT key, SUM(rc), SUM(it), SUM(nt), SUM(rf) FROM (
  SELECT l.{col} AS key, COUNT(DISTINCT l.sale_id) AS rc, SUM(l.quantity) AS it,
         SUM(l.net_fen) AS nt, 0 AS rf
  FROM sale_lines l JOIN sales s ON s.id = l.sale_id
  WHERE s.local_day BETWEEN {f} AND {t}{store_filter('s', q['store'])} GROUP BY 1
  UNION ALL
  SELECT l.{col}, 0, 0, 0, SUM(rl.net_fen)
  FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
  JOIN sale_lines l ON l.sale_id = r.sale_id AND l.line_no = rl.line_no
  WHERE r.local_day BETWEEN {f} AND {t}{store_filter('r', q['store'])} GROUP BY 1
) GROUP BY key"""
    return [[k, int(r), int(i), int(n), int(x)] for k, r, i, n, x in db.execute(sql).fetchall()]


def figures(q):
    f, t, pf, pt = int(q["from"]), int(q["to"]), int(q["prev_from"]), int(q["prev_to"])
    sf = store_filter("s", q["store"])
    receipts, items, net, member_net = db.execute(
        f"SELECT COUNT(*), COALESCE(SUM(items), 0), COALESCE(SUM(net_fen), 0), "
        f"COALESCE(SUM(net_fen) FILTER (WHERE customer_id IS NOT NULL), 0) "
        f"FROM sx s WHERE local_day BETWEEN {f} AND {t}{sf}").fetchone()
    refund, member_refund = db.execute(
        f"SELECT COALESCE(SUM(net_fen), 0), "
        f"COALESCE(SUM(net_fen) FILTER (WHERE customer_id IS NOT NULL), 0) "
        f"FROM rx s WHERE local_day BETWEEN {f} AND {t}{sf}").fetchone()
    active, repeat, member_days, previous_active, retained, first_time = db.execute(f"""
WITH m AS (SELECT DISTINCT customer_id AS c, local_day AS d FROM sales s
           WHERE customer_id IS NOT NULL{sf}),
firsts AS (SELECT c, MIN(d) AS first_day FROM m GROUP BY c),
cur AS (SELECT c, COUNT(*) AS days FROM m WHERE d BETWEEN {f} AND {t} GROUP BY c),
prev AS (SELECT DISTINCT c FROM m WHERE d BETWEEN {pf} AND {pt})
SELECT (SELECT COUNT(*) FROM cur), (SELECT COUNT(*) FROM cur WHERE days >= 2),
       (SELECT COALESCE(SUM(days), 0) FROM cur), (SELECT COUNT(*) FROM prev),
       (SELECT COUNT(*) FROM prev JOIN cur USING (c)),
       (SELECT COUNT(*) FROM firsts WHERE first_day BETWEEN {f} AND {t})""").fetchone()
    (new_customers,) = db.execute(
        f"SELECT COUNT(*) FROM customers s WHERE status = 'active' "
        f"AND created_day BETWEEN {f} AND {t}{sf}").fetchone()
    values = dict(receipts=receipts, items=items, net=net, member_net=member_net, refund=refund,
                  member_refund=member_refund, active=active, repeat=repeat,
                  member_days=member_days, previous_active=previous_active, retained=retained,
                  first_time=first_time, new_customers=new_customers)
    return {k: int(v) for k, v in values.items()}


MONTH_NO = "(local_day // 10000) * 12 + (local_day // 100) % 100"
YYYYMM = "(({i} - 1) // 12) * 100 + ({i} - 1) % 12 + 1"


def month_no(yyyymm):
    return (yyyymm // 100) * 12 + yyyymm % 100


def cohorts(q):
    lo, hi = month_no(int(q["from_month"])), month_no(int(q["to_month"]))
    sql = f"""
WITH mm AS (SELECT DISTINCT customer_id AS c, {MONTH_NO} AS i FROM sales s
            WHERE customer_id IS NOT NULL{store_filter('s', q['store'])}),
fst AS (SELECT c, MIN(i) AS fi FROM mm GROUP BY c)
SELECT {YYYYMM.format(i='fi')}, i - fi, COUNT(*) FROM fst JOIN mm USING (c)
WHERE fi BETWEEN {lo} AND {hi} AND i <= {hi} GROUP BY fi, i - fi"""
    return [[int(a), int(b), int(c)] for a, b, c in db.execute(sql).fetchall()]


def lifecycle(q):
    lo, hi = month_no(int(q["from_month"])), month_no(int(q["to_month"]))
    sql = f"""
WITH mm AS (SELECT DISTINCT customer_id AS c, {MONTH_NO} AS i FROM sales s
            WHERE customer_id IS NOT NULL{store_filter('s', q['store'])}),
x AS (SELECT i, LAG(i) OVER w AS p, LEAD(i) OVER w AS n FROM mm
      WINDOW w AS (PARTITION BY c ORDER BY i)),
ev AS (
  SELECT i AS mo, CASE WHEN p IS NULL THEN 'new' WHEN i - p = 1 THEN 'active'
                       WHEN i - p <= 7 THEN 'returning' ELSE 'won_back' END AS kind FROM x
  UNION ALL SELECT i + 1, 'lapsing' FROM x WHERE n IS NULL OR n <> i + 1
  UNION ALL SELECT i + 7, 'lost' FROM x WHERE n IS NULL OR n > i + 7)
SELECT {YYYYMM.format(i='mo')}, kind, COUNT(*) FROM ev WHERE mo BETWEEN {lo} AND {hi}
GROUP BY mo, kind"""
    return [[int(a), k, int(c)] for a, k, c in db.execute(sql).fetchall()]


answers = {
    "rollup": {
        "total_s": totals,
        "agg_s": aggs,
        "median_total_s": statistics.median(totals),
        "median_agg_s": statistics.median(aggs),
        "checksums": sums,
    },
    "sales": {str(q["id"]): sales(q) for q in spec["sales"]},
    "figures": {str(q["id"]): figures(q) for q in spec["figures"]},
    "cohorts": {str(q["id"]): cohorts(q) for q in spec["cohorts"]},
    "lifecycle": {str(q["id"]): lifecycle(q) for q in spec["lifecycle"]},
}
print(json.dumps(answers))
