import { Worker } from "node:worker_threads"

export interface LoadOptions {
  readonly url: string
  readonly method: "POST" | "GET"
  /** The request headers of each simulated client, used in turn. */
  readonly clients: ReadonlyArray<Record<string, string>>
  readonly body: unknown
  readonly concurrency: number
  readonly durationMs: number
  readonly warmupMs: number
}

export interface LoadResult {
  readonly completed: number
  readonly failures: Readonly<Record<string, number>>
  readonly latencies: ReadonlyArray<number>
  readonly durationMs: number
}

/** Runs the closed-loop load generator in a worker thread and waits for its report. */
export const runLoad = (options: LoadOptions): Promise<LoadResult> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./loadWorker.mjs", import.meta.url), { workerData: options })
    worker.once("message", (result: LoadResult) => resolve(result))
    worker.once("error", reject)
    worker.once("exit", (code) => code === 0 ? undefined : reject(new Error(`load worker exited with ${code}`)))
  })

export const requestsPerSecond = (result: LoadResult) => result.completed / (result.durationMs / 1000)

export interface StreamClientsOptions {
  readonly streamUrl: string
  readonly streamHeaders: Record<string, string>
  readonly streams: number
  readonly beatUrl: string
  readonly beats: ReadonlyArray<{ readonly headers: Record<string, string>; readonly status: string }>
  readonly spacingMs: number
  readonly settleMs: number
}

export interface StreamClients {
  readonly opened: number
  /** Sends the heartbeats and waits for them on every stream: latencies in ms, and arrivals that never came. */
  readonly beat: () => Promise<
    { readonly latencies: ReadonlyArray<number>; readonly missing: number; readonly statuses: ReadonlyArray<number> }
  >
  readonly close: () => Promise<void>
}

/** Opens the streams in a worker thread; resolves once they are all open. */
export const openStreamClients = (options: StreamClientsOptions): Promise<StreamClients> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./sseWorker.mjs", import.meta.url), { workerData: options })
    const exited = new Promise<void>((done) => worker.once("exit", () => done()))
    worker.once("error", reject)
    worker.once("message", (message: { readonly opened: number }) =>
      resolve({
        opened: message.opened,
        beat: () =>
          new Promise((done) => {
            worker.once("message", done)
            worker.postMessage("beat")
          }),
        close: async () => {
          worker.postMessage("close")
          await exited
        }
      }))
  })
