#!/usr/bin/env node
// DuckDB peer for the recoup ingest benchmark.
//
// read_json over every *.json.gz below the corpus directory with an explicit schema for the
// Records array (only the fields the SLA engine needs), unnest, classify, and GROUP BY
// recipientAccountId, awsRegion, eventSource, 5-minute bucket of eventTime, error class.
// The grouped result is materialised in a temp table (as an ingest would store it), then
// totals are printed so they can be checked against corpus.json.
//
// Usage: node peer_duckdb.mjs [--threads N] CORPUS_DIR
// Output: one human line and one JSON line ({"tool":"duckdb",...}) on stdout.
import { DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';

let threads = 1;
const dirs = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--threads') threads = Number(argv[++i]);
  else if (argv[i].startsWith('--threads=')) threads = Number(argv[i].slice(10));
  else dirs.push(argv[i]);
}
if (dirs.length !== 1 || !(threads >= 1)) {
  console.error('usage: node peer_duckdb.mjs [--threads N] CORPUS_DIR');
  process.exit(2);
}
const glob = path.join(path.resolve(dirs[0]), '**', '*.json.gz').replaceAll("'", "''");

const RECORD = `STRUCT(
  eventTime TIMESTAMP, eventSource VARCHAR, eventName VARCHAR, awsRegion VARCHAR,
  errorCode VARCHAR, requestID VARCHAR, recipientAccountId VARCHAR,
  additionalEventData STRUCT(customKeyStoreId VARCHAR))[]`;

const SQL = `
CREATE TEMP TABLE groups AS
WITH recs AS (
  SELECT unnest(Records) AS r
  FROM read_json('${glob}',
                 format = 'newline_delimited',
                 compression = 'gzip',
                 maximum_object_size = 268435456,
                 columns = {Records: '${RECORD.replace(/\s+/g, ' ')}'})
)
SELECT r.recipientAccountId AS account,
       r.awsRegion AS region,
       r.eventSource AS source,
       time_bucket(INTERVAL 5 MINUTE, r.eventTime) AS bucket,
       CASE WHEN r.additionalEventData.customKeyStoreId IS NOT NULL THEN 'cks'
            WHEN r.errorCode IS NULL THEN 'ok'
            WHEN r.errorCode IN ('KMSInternalException', 'DependencyTimeoutException',
                                 'KeyUnavailableException', 'InternalFailure', 'ServiceUnavailable') THEN 'server'
            WHEN r.errorCode = 'ThrottlingException' THEN 'throttle'
            ELSE 'client' END AS cls,
       count(*) AS n
FROM recs
GROUP BY ALL`;

const t0 = process.hrtime.bigint();
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await instance.connect();
await con.run(`SET threads = ${threads}`);
await con.run(SQL);
const totals = (await con.runAndReadAll(
  `SELECT count(*)::BIGINT AS groups, sum(n)::BIGINT AS records FROM groups`)).getRowObjects()[0];
const byClass = (await con.runAndReadAll(
  `SELECT cls, sum(n)::BIGINT AS n FROM groups GROUP BY cls`)).getRowObjects();
const files = (await con.runAndReadAll(
  `SELECT count(*)::BIGINT AS n FROM glob('${glob}')`)).getRowObjects()[0].n;
const secs = Number(process.hrtime.bigint() - t0) / 1e9;

const classes = { ok: 0, server: 0, throttle: 0, client: 0, cks: 0 };
for (const row of byClass) classes[row.cls] = Number(row.n);
const records = Number(totals.records);
console.log(`duckdb: ${files} files, ${records} records, ${totals.groups} groups in ${secs.toFixed(3)} s, ` +
            `${Math.round(records / secs)} records/s, threads=${threads}`);
console.log(JSON.stringify({
  tool: 'duckdb', threads, files: Number(files), records, groups: Number(totals.groups), classes,
  seconds: Number(secs.toFixed(4)), records_per_s: Math.round(records / secs),
}));
con.closeSync?.();
instance.closeSync?.();
