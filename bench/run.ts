// pnpm bench [row …]: each row runs our implementation and the reference's approach side by side, in this one
// process run, on the same data; prints a table and writes bench/results.json. Rows: auth, sync, heartbeats, stream,
// list, memory (all by default).
import { createDatabase, createTestDatabase } from "@mission-control/adapter-pg/testing"
import { writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { authenticationRows } from "./rows/auth.js"
import { heartbeatRow } from "./rows/heartbeats.js"
import { listRow } from "./rows/list.js"
import { memoryRow } from "./rows/memory.js"
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
if (chosen.size === 0) {
  writeFileSync(new URL("./results.json", import.meta.url), `${JSON.stringify({ machine, rows }, null, 2)}\n`)
} else console.log("(a partial run: results.json left as it was)")
