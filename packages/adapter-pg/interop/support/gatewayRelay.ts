// A WebSocket relay between the processes under test and the real gateway. Frames pass unchanged; the answers to the
// requests a test picks are withheld, so that a process can be killed at an exact point: its request done on the
// gateway, its answer never heard (what a crash right after the gateway acted looks like).
import { createRequire } from "node:module"

interface RelaySocket {
  readonly readyState: number
  send(data: Buffer | string, options: { readonly binary: boolean }): void
  close(code?: number): void
  terminate(): void
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): this
  on(event: "close", listener: (code: number) => void): this
  on(event: "error", listener: (error: Error) => void): this
  on(event: "open", listener: () => void): this
}

interface RelayServer {
  address(): { readonly port: number } | string | null
  close(callback: () => void): void
  on(event: "connection", listener: (socket: RelaySocket) => void): this
  on(event: "listening", listener: () => void): this
  on(event: "error", listener: (error: Error) => void): this
}

// `ws` is the root's dev dependency; its types live in gateway-rpc's folder, so the few members used are named here.
interface WsModule {
  readonly WebSocket: new(url: string, options: { readonly perMessageDeflate: boolean }) => RelaySocket
  readonly WebSocketServer: new(
    options: { readonly host: string; readonly port: number; readonly perMessageDeflate: boolean }
  ) => RelayServer
}

const ws = createRequire(import.meta.url)("ws") as WsModule

const open = 1

/** A request that went through the relay. */
export interface RelayedRequest {
  readonly connection: number
  readonly method: string
  readonly params: Readonly<Record<string, unknown>>
}

/** Which requests' answers to withhold; null withholds nothing. */
export type WithholdRule = ((request: RelayedRequest) => boolean) | null

/** Changes the answer (the whole `res` frame) to a request; answers it unchanged when it has nothing to change. */
export type AnswerRewrite = (request: RelayedRequest, answer: Record<string, unknown>) => Record<string, unknown>

export interface GatewayRelay {
  /** The relay's URL: give it to the process under test instead of the gateway's. */
  readonly url: string
  /** Requests relayed so far, in order. */
  readonly requests: () => ReadonlyArray<RelayedRequest>
  /** From now on, answers to requests matching the rule are dropped (the request itself reaches the gateway). */
  readonly withholdAnswers: (rule: WithholdRule) => void
  /** Every answer from now on passes through the rewrite. */
  readonly rewriteAnswers: (rewrite: AnswerRewrite | null) => void
  readonly stop: () => Promise<void>
}

const closeCode = (
  code: number
) => (code >= 1000 && code <= 4999 && ![1004, 1005, 1006, 1015].includes(code) ? code : 1011)

const asRequest = (data: Buffer, connection: number): (RelayedRequest & { readonly id: string }) | undefined => {
  try {
    const frame: unknown = JSON.parse(data.toString())
    if (typeof frame !== "object" || frame === null) return undefined
    const { id, method, params, type } = frame as Record<string, unknown>
    if (type !== "req" || typeof id !== "string" || typeof method !== "string") return undefined
    const fields = typeof params === "object" && params !== null ? params as Record<string, unknown> : {}
    return { connection, id, method, params: fields }
  } catch {
    return undefined
  }
}

const asAnswer = (data: Buffer): Record<string, unknown> | undefined => {
  try {
    const frame: unknown = JSON.parse(data.toString())
    if (typeof frame !== "object" || frame === null) return undefined
    const fields = frame as Record<string, unknown>
    return fields["type"] === "res" && typeof fields["id"] === "string" ? fields : undefined
  } catch {
    return undefined
  }
}

/** Starts a relay to `target` on a free loopback port. */
export const startGatewayRelay = (target: string): Promise<GatewayRelay> =>
  new Promise((resolve, reject) => {
    const relayed: Array<RelayedRequest> = []
    let rule: WithholdRule = null
    let rewrite: AnswerRewrite | null = null
    let connections = 0
    const sockets = new Set<RelaySocket>()
    const server = new ws.WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false })
    server.on("error", reject)
    server.on("connection", (client) => {
      const connection = ++connections
      const upstream = new ws.WebSocket(target, { perMessageDeflate: false })
      sockets.add(client)
      sockets.add(upstream)
      const queued: Array<readonly [Buffer, boolean]> = []
      const withheld = new Set<string>()
      const asked = new Map<string, RelayedRequest>()
      upstream.on("open", () => {
        for (const [data, isBinary] of queued.splice(0)) upstream.send(data, { binary: isBinary })
      })
      client.on("message", (data, isBinary) => {
        const request = isBinary ? undefined : asRequest(data, connection)
        if (request !== undefined) {
          const { id, ...rest } = request
          relayed.push(rest)
          asked.set(id, rest)
          if (rule !== null && rule(rest)) withheld.add(id)
        }
        if (upstream.readyState === open) upstream.send(data, { binary: isBinary })
        else queued.push([data, isBinary])
      })
      upstream.on("message", (data, isBinary) => {
        const answer = isBinary ? undefined : asAnswer(data)
        const id = answer === undefined ? undefined : String(answer["id"])
        const request = id === undefined ? undefined : asked.get(id)
        if (id !== undefined) asked.delete(id)
        if (id !== undefined && withheld.delete(id)) return
        const forwarded = answer !== undefined && request !== undefined && rewrite !== null
          ? JSON.stringify(rewrite(request, answer))
          : data
        if (client.readyState === open) client.send(forwarded, { binary: isBinary })
      })
      client.on("close", () => upstream.terminate())
      upstream.on("close", (code) => {
        if (client.readyState === open) client.close(closeCode(code))
      })
      client.on("error", () => upstream.terminate())
      upstream.on("error", () => client.terminate())
    })
    server.on("listening", () => {
      const address = server.address()
      if (address === null || typeof address === "string") return reject(new Error("relay has no port"))
      resolve({
        url: `ws://127.0.0.1:${address.port}`,
        requests: () => [...relayed],
        withholdAnswers: (next) => {
          rule = next
        },
        rewriteAnswers: (next) => {
          rewrite = next
        },
        stop: () =>
          new Promise((done) => {
            for (const socket of sockets) socket.terminate()
            server.close(() => done())
          })
      })
    })
  })
