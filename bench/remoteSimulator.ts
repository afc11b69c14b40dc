// The measured process's handle on a gateway simulator running in a child process (simulatorProcess.ts).
import type { SimulatorBehaviour } from "@mission-control/gateway-rpc/testing"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

/** One call the simulator received, reduced to what the rows count by. */
export interface CallSummary {
  readonly method: string
  readonly agentId: string | null
  readonly name: string | null
}

export interface SimulatorCounts {
  readonly agents: number
  readonly configPatches: number
  readonly configPatchesRefused: number
  readonly connectionsOpened: number
}

export type SimulatorCommand =
  | { readonly command: "configure"; readonly behaviour: Partial<SimulatorBehaviour> }
  | { readonly command: "calls" | "clearCalls" | "counts" | "down" | "up" | "stop" }

export type SimulatorRequest = SimulatorCommand & { readonly id: number }

export interface SimulatorReply {
  readonly id: number
  readonly value:
    | null
    | ReadonlyArray<CallSummary>
    | SimulatorCounts
    | { readonly url: string; readonly token: string | null }
  readonly error?: string
}

export interface RemoteSimulator {
  readonly url: string
  readonly token: string
  readonly configure: (behaviour: Partial<SimulatorBehaviour>) => Promise<void>
  readonly calls: () => Promise<ReadonlyArray<CallSummary>>
  readonly clearCalls: () => Promise<void>
  readonly counts: () => Promise<SimulatorCounts>
  /** With `relay`: refuse every connection (the open ones cut) until `up`. */
  readonly down: () => Promise<void>
  readonly up: () => Promise<void>
  readonly stop: () => Promise<void>
}

const script = fileURLToPath(new URL("./simulatorProcess.ts", import.meta.url))

/** Starts a simulator in a child process; `relay` puts it behind a relay that `down`/`up` switch off and on. */
export const startRemoteSimulator = async (
  options: { readonly behaviour?: Partial<SimulatorBehaviour>; readonly relay?: boolean } = {}
): Promise<RemoteSimulator> => {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: fileURLToPath(new URL(".", import.meta.url)),
    env: { ...process.env, BENCH_SIMULATOR: JSON.stringify(options) },
    stdio: ["ignore", "inherit", "inherit", "ipc"]
  })
  const waiting = new Map<number, { resolve: (value: SimulatorReply["value"]) => void; reject: (e: Error) => void }>()
  let nextId = 1
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const started = new Promise<{ readonly url: string; readonly token: string | null }>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the simulator process exited (${code}) before it started`)))
    child.on("message", (reply: SimulatorReply) => {
      if (reply.id === 0) {
        resolve(reply.value as { readonly url: string; readonly token: string | null })
        return
      }
      const pending = waiting.get(reply.id)
      waiting.delete(reply.id)
      if (reply.error !== undefined) pending?.reject(new Error(reply.error))
      else pending?.resolve(reply.value)
    })
  })
  const request = (command: SimulatorCommand) =>
    new Promise<SimulatorReply["value"]>((resolve, reject) => {
      const id = nextId++
      waiting.set(id, { resolve, reject })
      child.send({ ...command, id })
    })
  const { token, url } = await started
  return {
    url,
    token: token ?? "",
    configure: async (behaviour) => void (await request({ command: "configure", behaviour })),
    calls: async () => (await request({ command: "calls" })) as ReadonlyArray<CallSummary>,
    clearCalls: async () => void (await request({ command: "clearCalls" })),
    counts: async () => (await request({ command: "counts" })) as SimulatorCounts,
    down: async () => void (await request({ command: "down" })),
    up: async () => void (await request({ command: "up" })),
    stop: async () => {
      if (child.exitCode !== null) return
      await request({ command: "stop" })
      await exited
    }
  }
}

/** Calls counted by method. */
export const byMethod = (calls: ReadonlyArray<CallSummary>): Record<string, number> => {
  const counts: Record<string, number> = {}
  for (const call of calls) counts[call.method] = (counts[call.method] ?? 0) + 1
  return counts
}
