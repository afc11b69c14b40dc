// Row 6: peak memory (resident set) of the example server, as `pnpm start` runs it, with 1,000 open streams and
// heartbeats flowing, against the same server before any stream opened.
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import WebSocket from "ws"
import { openStreamClients } from "../load.js"
import type { Row } from "../support.js"
import { round, sleep } from "../support.js"

const streams = Number(process.env["BENCH_STREAMS"] ?? 1000)
const exampleDirectory = fileURLToPath(new URL("../../examples/express-server/", import.meta.url))

/** A process's resident set now and at its peak, in MiB. */
const memoryOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN)
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 }
}

/**
 * The server's live JavaScript heap, read over the inspector protocol after a full collection: what it retains, apart
 * from the garbage that the resident set also counts until V8 collects it.
 */
const liveHeapReader = async (inspectorUrl: string) => {
  const socket = new WebSocket(inspectorUrl)
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve())
    socket.once("error", reject)
  })
  let nextId = 0
  const call = (method: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = ++nextId
      const onMessage = (data: WebSocket.RawData) => {
        const message = JSON.parse(String(data)) as { readonly id?: number; readonly result?: Record<string, unknown> }
        if (message.id !== id) return
        socket.off("message", onMessage)
        resolve(message.result ?? {})
      }
      socket.on("message", onMessage)
      socket.send(JSON.stringify({ id, method }))
    })
  return {
    read: async () => {
      await call("HeapProfiler.collectGarbage")
      return Number((await call("Runtime.getHeapUsage"))["usedSize"]) / 2 ** 20
    },
    close: () => socket.close()
  }
}

interface Ready {
  readonly url: string
  readonly organizations: ReadonlyArray<
    { readonly users: { readonly owner: { readonly token: string } }; readonly lead: { readonly token: string | null } }
  >
}

/**
 * `databaseUrl`: the example server's `DATABASE_URL` (a real Postgres), or undefined for its default, embedded PGlite
 * (whose own memory then counts in the server's).
 */
export const memoryRow = async (databaseUrl: string | undefined): Promise<Row> => {
  const server = spawn(process.execPath, ["--inspect=127.0.0.1:0", "--import", "tsx", "src/main.ts"], {
    cwd: exampleDirectory,
    env: { ...process.env, PORT: "0", DATABASE_URL: databaseUrl ?? "" },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const inspectorUrl = new Promise<string>((resolve) => {
    createInterface({ input: server.stderr! }).on("line", (line) => {
      const found = /Debugger listening on (ws:\/\/\S+)/.exec(line)
      if (found !== null) resolve(found[1]!)
      else if (
        !line.startsWith("For help, see") && !line.startsWith("Debugger ") &&
        !line.startsWith("Waiting for the debugger")
      ) process.stderr.write(`${line}\n`)
    })
  })
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the example server did not get ready in 60 s")), 60_000)
      createInterface({ input: server.stdout! }).on("line", (line) => {
        if (!line.startsWith("{\"ready\":true")) return
        clearTimeout(timer)
        resolve(JSON.parse(line) as Ready)
      })
      server.once("exit", (code) => reject(new Error(`the example server exited with ${code}`)))
    })
    const organization = ready.organizations[0]!
    const heap = await liveHeapReader(await inspectorUrl)
    await sleep(1_000)
    // The idle server after a full collection: start-up's garbage (migrations, seeding, template compilation) would
    // otherwise sit in the baseline for as long as V8 happens to keep it.
    const idleHeap = await heap.read()
    await sleep(1_000)
    const idle = memoryOf(server.pid!)
    let peak = idle.rss
    const sampler = setInterval(() => {
      peak = Math.max(peak, memoryOf(server.pid!).rss)
    }, 25)
    const clients = await openStreamClients({
      streamUrl: `${ready.url}/api/v1/agents/stream`,
      streamHeaders: { authorization: `Bearer ${organization.users.owner.token}` },
      streams,
      beatUrl: `${ready.url}/api/v1/agent/heartbeat`,
      beats: Array.from({ length: 20 }, (_, index) => ({
        headers: { "x-agent-token": organization.lead.token ?? "" },
        status: `memory-${index}`
      })),
      spacingMs: 100,
      settleMs: 10_000
    })
    // The resident set is sampled while the streams open and the heartbeats flow; its peak before them is the
    // process's start-up (migrations, template compilation), not what streams cost.
    const opened = peak
    const { missing } = await clients.beat()
    clearInterval(sampler)
    peak = Math.max(peak, memoryOf(server.pid!).rss)
    // Read with every stream still open: what they hold.
    const openHeap = await heap.read()
    heap.close()
    await clients.close()
    const added = peak - idle.rss
    const retainedPerStream = (openHeap - idleHeap) * 1024 / streams
    return {
      name: `example server (${
        databaseUrl === undefined ? "PGlite" : "Postgres"
      }): peak resident memory with ${streams} open streams and heartbeats`,
      ours: round(peak),
      reference: round(idle.rss),
      unit: "MiB",
      ratio: round(peak / idle.rss),
      // The peak resident set also holds garbage until V8 collects it, so it moves by tens of MiB from run to run;
      // what the streams keep is the live heap after a collection, and that is the goal.
      goal: "every stream open and served; each retains at most 64 KiB (live heap after a full collection)",
      meets: retainedPerStream <= 64 && clients.opened === streams && missing === 0,
      note:
        `reference = the same server idle, before any stream; ${clients.opened} streams open, ${missing} events never delivered; +${
          round(added)
        } MiB, ${round(added * 1024 / streams)} KiB a stream; peak while the streams opened ${
          round(opened)
        } MiB; live heap after a full collection ${round(idleHeap)} MiB idle, ${
          round(openHeap)
        } MiB with the streams open: ${round(retainedPerStream)} KiB retained a stream`
    }
  } finally {
    server.kill("SIGTERM")
    await new Promise((resolve) => server.once("exit", resolve))
  }
}
