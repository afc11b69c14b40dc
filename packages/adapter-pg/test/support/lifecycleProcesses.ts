// What the lifecycle tests share, on the simulator (test/lifecycle.test.ts) and on the real gateway
// (interop/lifecycle.interop.ts and its neighbours): worker processes (lifecycleWorker.ts), bounded polling, and the
// board's agent rows as the database holds them.
import { runStatement } from "@mission-control/adapter-pg/testing"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../..", import.meta.url))
const workerScript = fileURLToPath(new URL("./lifecycleWorker.ts", import.meta.url))

/** A lifecycle worker process; `output` collects its stdout lines. */
export interface Worker {
  readonly child: ChildProcess
  readonly output: Array<string>
  readonly errors: () => string
  readonly kill: (signal?: NodeJS.Signals) => Promise<void>
}

/** Starts a worker with these variables; `onCleanup` is given its SIGKILL, for the test's cleanup to run. */
export const startWorker = (
  env: Record<string, string>,
  onCleanup: (kill: () => Promise<void>) => void
): Worker => {
  const output: Array<string> = []
  const child = spawn(process.execPath, ["--import", "tsx", workerScript], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let buffered = ""
  child.stdout.on("data", (chunk: Buffer) => {
    buffered += chunk.toString()
    const lines = buffered.split("\n")
    buffered = lines.pop() ?? ""
    output.push(...lines)
  })
  let errors = ""
  child.stderr.on("data", (chunk: Buffer) => {
    errors += chunk.toString()
  })
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    await exited
  }
  onCleanup(() => kill())
  return { child, output, errors: () => errors, kill }
}

/** Polls `check` every `everyMs` until it holds; fails after `timeoutMs` naming `what`. Answers the time it took. */
export const until = async (
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 100
) => {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** The variables of a worker (see lifecycleWorker.ts) on this database and world. */
export const workerEnv = (
  databaseUrl: string,
  world: {
    readonly gateway: { readonly id: string }
    readonly board: { readonly id: string }
    readonly owner: { readonly id: string }
  },
  mode: "create" | "resume" | "sync",
  runnerPort: number,
  agents = 0
) => ({
  MC_DATABASE_URL: databaseUrl,
  MC_GATEWAY_ID: world.gateway.id,
  MC_MODE: mode,
  MC_BOARD_ID: world.board.id,
  MC_OWNER_ID: world.owner.id,
  MC_AGENTS: String(agents),
  MC_RUNNER_PORT: String(runnerPort)
})

/** The board's agents as the database holds them: id, status, pending action and token digest. */
export const boardAgentRows = (databaseUrl: string, boardId: string) =>
  Effect.runPromise(runStatement(
    databaseUrl,
    "SELECT id::text AS id, status, provision_action, agent_token_digest FROM mc_agents WHERE board_id = $1",
    [boardId]
  ))

/** Whether the board has `count` agents, none with work pending, each with a token. */
export const allConverged = async (databaseUrl: string, boardId: string, count: number) => {
  const rows = await boardAgentRows(databaseUrl, boardId)
  return rows.length === count &&
    rows.every((row) => row["provision_action"] === null && row["agent_token_digest"] !== null)
}
