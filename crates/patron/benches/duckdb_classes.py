"""Reference for the reclassification benchmark: DuckDB computes the same classes from the raw
sales (not from running statistics), with the rules' defaults. Loading the CSV files is not
timed; the classification query is, RUNS times. Prints one JSON object: the median seconds
and the number of customers in each class, which the benchmark compares with Patron's.

python3 duckdb_classes.py DIR TODAY_MS WINDOW_FROM RUNS   (needs `pip install duckdb`)
"""
import json
import statistics
import sys
import time

import duckdb

folder, today, window_from, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
DAY = 86400000
db = duckdb.connect()
db.execute(f"CREATE TABLE customers AS SELECT * FROM read_csv('{folder}/customers.csv', header=true, columns={{'customer_id': 'BIGINT', 'store_id': 'BIGINT'}})")
db.execute(f"CREATE TABLE sales AS SELECT * FROM read_csv('{folder}/sales.csv', header=true, columns={{'customer_id': 'BIGINT', 'sold_ms': 'BIGINT', 'day': 'BIGINT', 'month': 'BIGINT', 'amount': 'BIGINT'}})")

SPEND = """CASE WHEN {b} * 100 < 20 * {t} THEN 'key' WHEN {b} * 100 < 50 * {t} THEN 'major'
                WHEN {b} * 100 < 80 * {t} THEN 'ordinary' ELSE 'small' END"""
LEVEL = "CASE WHEN {x} >= {hi} THEN 'high' WHEN {x} >= {mid} THEN 'medium' ELSE 'low' END"

QUERY = f"""
CREATE OR REPLACE TABLE classes AS
WITH life AS (
    SELECT customer_id, MIN(sold_ms) AS first_ms, MAX(sold_ms) AS last_ms,
           COUNT(DISTINCT day) AS visits
    FROM sales GROUP BY customer_id),
win AS (
    SELECT customer_id, SUM(amount) AS spend, COUNT(DISTINCT day) AS visits12
    FROM sales WHERE month >= {window_from} GROUP BY customer_id),
f AS (
    SELECT c.customer_id, c.store_id, COALESCE(w.spend, 0) AS spend,
           COALESCE(w.visits12, 0) AS visits12, l.first_ms, l.last_ms, l.visits
    FROM customers c LEFT JOIN win w USING (customer_id) LEFT JOIN life l USING (customer_id)),
share AS (
    SELECT customer_id,
        SUM(spend) OVER (PARTITION BY store_id ORDER BY spend DESC)
            - SUM(spend) OVER (PARTITION BY store_id, spend) AS before_s,
        SUM(spend) OVER (PARTITION BY store_id) AS total_s,
        SUM(spend) OVER (ORDER BY spend DESC) - SUM(spend) OVER (PARTITION BY spend) AS before_c,
        SUM(spend) OVER () AS total_c
    FROM f WHERE spend > 0),
rfm AS (
    SELECT customer_id,
        1 + (RANK() OVER (ORDER BY last_ms) - 1) * 5 // COUNT(*) OVER () AS r,
        1 + (RANK() OVER (ORDER BY visits12) - 1) * 5 // COUNT(*) OVER () AS fq,
        1 + (RANK() OVER (ORDER BY spend) - 1) * 5 // COUNT(*) OVER () AS m
    FROM f WHERE visits IS NOT NULL),
intervals AS (
    SELECT (last_ms - first_ms)::DOUBLE / {DAY}.0 / (visits - 1)::DOUBLE AS days
    FROM f WHERE visits > 1),
usual AS (
    SELECT COALESCE((SELECT days FROM intervals ORDER BY days
                     LIMIT 1 OFFSET (SELECT COUNT(*) // 2 FROM intervals)), 60.0) AS days)
SELECT f.customer_id,
    CASE WHEN s.customer_id IS NULL THEN 'small' ELSE {SPEND.format(b='s.before_s', t='s.total_s')} END AS spend_store,
    CASE WHEN s.customer_id IS NULL THEN 'small' ELSE {SPEND.format(b='s.before_c', t='s.total_c')} END AS spend_chain,
    {LEVEL.format(x='f.visits12', hi=12, mid=4)} AS frequency,
    CASE WHEN rfm.customer_id IS NULL THEN NULL
         ELSE {LEVEL.format(x='rfm.r + rfm.fq + rfm.m', hi=12, mid=8)} END AS value_class,
    CASE WHEN f.visits IS NULL THEN NULL
         WHEN {today} - f.first_ms < {90 * DAY} THEN 'new'
         WHEN ({today} - f.last_ms)::DOUBLE / {DAY}.0 <= 2.0 * GREATEST(
             CASE WHEN f.visits > 1 THEN (f.last_ms - f.first_ms)::DOUBLE / {DAY}.0 / (f.visits - 1)::DOUBLE
                  ELSE (SELECT days FROM usual) END, 7.0) THEN 'active'
         WHEN ({today} - f.last_ms)::DOUBLE / {DAY}.0 <= 4.0 * GREATEST(
             CASE WHEN f.visits > 1 THEN (f.last_ms - f.first_ms)::DOUBLE / {DAY}.0 / (f.visits - 1)::DOUBLE
                  ELSE (SELECT days FROM usual) END, 7.0) THEN 'dormant'
         ELSE 'lost' END AS lifecycle,
    CASE WHEN f.visits IS NULL THEN 'potential'
         WHEN s.customer_id IS NOT NULL AND {SPEND.format(b='s.before_s', t='s.total_s')} = 'key' THEN 'vip'
         ELSE 'regular' END AS label
FROM f LEFT JOIN share s USING (customer_id) LEFT JOIN rfm USING (customer_id)
"""

times = []
for _ in range(runs):
    started = time.perf_counter()
    db.execute(QUERY)
    times.append(time.perf_counter() - started)

counts = {}
for column in ["spend_store", "spend_chain", "frequency", "value_class", "lifecycle", "label"]:
    rows = db.execute(f"SELECT {column}, COUNT(*) FROM classes GROUP BY 1").fetchall()
    counts[column] = {str(k) if k is not None else "-": v for k, v in rows}
print(json.dumps({"median_s": statistics.median(times), "counts": counts}))
