// pnpm bench [row …]: each row runs our implementation and the reference's approach (or a lower bound) side by side,
// in this one process run, on the same data; prints a table and writes bench/results.json. Rows: auth, sync,
// heartbeats, stream, list, memory, convergence, reconcile (all by default), and realsync (the real gateway: only when
// named or with OPENCLAW_BENCH=1, see rows/realSync.ts). A run of some rows replaces those rows in results.json.
import { createDatabase, createTestDatabase } from "@mission-control/adapter-pg/testing"
import { readFileSync, writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { authenticationRows } from "./rows/auth.js"
import { convergenceRow } from "./rows/convergence.js"
import { heartbeatRow } from "./rows/heartbeats.js"
import { listRow } from "./rows/list.js"
import { memoryRow } from "./rows/memory.js"
import { realSyncRows } from "./rows/realSync.js"
import { reconcileRows } from "./rows/reconcile.js"
import { streamRows } from "./rows/stream.js"
import { syncRows } from "./rows/sync.js"
import type { Row } from "./support.js"

const chosen = new Set(process.argv.slice(2))
const wanted = (name: string) => chosen.size === 0 || chosen.has(name)

const database = await createTestDatabase()
console.log(`database: ${database.kind}`)
const rows: Array<Row> = []
const run = async (name: string, rowsOf: () => Promise<Row | ReadonlyArray<Row>>) => {
  if (!wanted(name)) return
  const started = performance.now()
  const produced = await rowsOf()
  rows.push(...(Array.isArray(produced) ? produced : [produced as Row]))
  console.log(`${name}: ${Math.round((performance.now() - started) / 1000)} s`)
}

await run("auth", () => authenticationRows(database))
await run("sync", () => syncRows())
// Rows 3 and 4 compare with hand-written `pg` code, so they need a Postgres server (PGlite serves one connection).
if (database.kind === "postgres") {
  await run("heartbeats", () => heartbeatRow(database))
  await run("stream", () => streamRows(database))
} else {
  console.log("heartbeats, stream: skipped (no Postgres server)")
}
await run("list", () => listRow(database))
await run("memory", async () => {
  const rows = [await memoryRow(undefined)]
  if (database.kind === "postgres") {
    const own = await createDatabase()
    try {
      rows.push(await memoryRow(own.url))
    } finally {
      await own.drop()
    }
  }
  return rows
})
// The durable lifecycle's workflows and the reconciler's survey need Postgres: the cluster's runner storage holds a
// connection of its own for its locks.
if (database.kind === "postgres") {
  await run("convergence", () => convergenceRow())
  await run("reconcile", () => reconcileRows(database))
} else {
  console.log("convergence, reconcile: skipped (no Postgres server)")
}
await run("realsync", () => realSyncRows(chosen.has("realsync")))
await database.close()

const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? "unknown",
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  database: database.kind
}
console.table(rows.map(({ note: _, ...row }) => row))
for (const row of rows) if (row.note !== undefined) console.log(`${row.name}: ${row.note}`)
const resultsFile = new URL("./results.json", import.meta.url)
if (chosen.size === 0) {
  writeFileSync(resultsFile, `${JSON.stringify({ machine, rows }, null, 2)}\n`)
} else {
  // A partial run: its rows replace those of the same name, the others stay as the last run left them.
  const previous = JSON.parse(readFileSync(resultsFile, "utf8")) as { readonly rows: ReadonlyArray<Row> }
  const fresh = new Map(rows.map((row) => [row.name, row]))
  const merged = previous.rows.map((row) => fresh.get(row.name) ?? row)
  for (const row of rows) if (!previous.rows.some((old) => old.name === row.name)) merged.push(row)
  writeFileSync(resultsFile, `${JSON.stringify({ machine, rows: merged }, null, 2)}\n`)
  console.log(`(a partial run: its ${rows.length} rows written into results.json, the others left as they were)`)
}
