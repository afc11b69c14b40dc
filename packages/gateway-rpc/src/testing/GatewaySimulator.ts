import { protocol4WritableFiles } from "@mission-control/core"
import { Effect } from "effect"
import { createHash, createPublicKey, randomUUID, verify } from "node:crypto"
import { createServer } from "node:https"
import type { AddressInfo } from "node:net"
import WebSocket, { WebSocketServer } from "ws"
import type { SignedConnect } from "../deviceIdentity.js"
import { signaturePayload } from "../deviceIdentity.js"
import { canonicalJson } from "../GatewayRpcClient.js"
import type { RequestFrame } from "../protocol.js"
import { isObject, parseFrame, protocol4HeartbeatKeys } from "../protocol.js"
import type { SimulatedHealthAgent, SimulatedRun } from "./gatewayEvents.js"
import { healthPayload, runEvents } from "./gatewayEvents.js"

/** Which real gateway release the simulator behaves like. */
export type GatewayProfile = "2026.9" | "2026.4"

/** A fault injected on a method. */
export interface SimulatedFault {
  readonly method: string
  /** `error`: an error reply; `drop`: the connection is cut; `stall`: no reply at all. */
  readonly kind: "error" | "drop" | "stall"
  readonly message?: string
  readonly code?: string
  readonly retryable?: boolean
  /** How many calls it hits (default: all). */
  readonly times?: number
  /** Only calls for this agent. */
  readonly agentId?: string
}

/** How the simulator behaves. Every field can be changed while it runs (`configure`). */
export interface SimulatorBehaviour {
  readonly profile: GatewayProfile
  /** The shared token clients must present; null accepts any. */
  readonly token: string | null
  /** Delay before every reply. */
  readonly latencyMs: number
  /** A random extra delay up to this, so replies come back out of order. */
  readonly latencyJitterMs: number
  /** Delay between doing a call and answering it: the call's effect is there, its caller has not heard yet. */
  readonly answerDelayMs: number
  /** How long a created agent is invisible to file and chat calls, as the real gateway reloads its config. */
  readonly reloadDelayMs: number
  /** Close every connection with 1012 after each `config.patch`, as a real gateway restarting does. */
  readonly restartOnConfigPatch: boolean
  readonly faults: ReadonlyArray<SimulatedFault>
  /** Random faults: each call fails with this probability, from a seeded generator. */
  readonly randomFaults: {
    readonly probability: number
    readonly kinds: ReadonlyArray<SimulatedFault["kind"]>
    readonly seed: number
  } | null
  readonly tickIntervalMs: number
  /** The `server.version` of `hello-ok` (default by profile: 2026.9.6, 2026.4.1); null leaves it out. */
  readonly version: string | null
  /** `config.meta.lastTouchedVersion` of `config.get`; null leaves it out. */
  readonly configVersion: string | null
  /**
   * Accept a control UI without a device identity, as gateways behind a trusted proxy (and older ones configured to)
   * do. Otherwise it is refused with `CONTROL_UI_DEVICE_IDENTITY_REQUIRED`, as 2026.9.6 does.
   */
  readonly controlUiWithoutDevice: boolean
  /**
   * The control-plane write limit on `config.patch`, per client (its device, else its connection), in fixed windows
   * from the first write: 2026.9.6 allows 30 per 60 s, 2026.4.1 3 per 60 s. Past it the call is refused with
   * `UNAVAILABLE`, retryable, and `retryAfterMs` (the rest of the window). null: no limit.
   */
  readonly configPatchLimit: { readonly max: number; readonly windowMs: number } | null
}

/** One `connect` the simulator received: its params and the `Origin` header of the socket. */
export interface SimulatorConnect {
  readonly params: Readonly<Record<string, unknown>>
  readonly origin: string | undefined
}

/** One call the simulator received. */
export interface SimulatorCall {
  readonly method: string
  readonly params: Readonly<Record<string, unknown>>
  readonly connection: number
}

/** An agent the simulator holds. */
export interface SimulatedAgent {
  readonly id: string
  name: string
  workspace: string
  readonly files: Map<string, string>
  readonly visibleAt: number
}

const modernFiles = protocol4WritableFiles
const legacyFiles = new Set([
  ...modernFiles,
  "TOOLS.md",
  "HEARTBEAT.md",
  "SELF.md",
  "TASK_SOUL.md",
  "AUTONOMY.md",
  "BOOT.md"
])
const seededFiles = ["AGENTS.md", "SOUL.md", "USER.md", "BOOTSTRAP.md"]
const clientIds = new Set(["gateway-client", "cli", "openclaw-control-ui", "webchat-ui", "test", "openclaw-probe"])

// Every params object is closed on the real gateway: an unknown key fails the call.
const allowedParams: Readonly<Record<string, ReadonlyArray<string>>> = {
  health: [],
  "agents.list": [],
  "agents.create": ["name", "workspace", "model", "emoji", "avatar"],
  "agents.update": ["agentId", "name", "workspace", "model", "emoji", "avatar"],
  "agents.delete": ["agentId", "deleteFiles"],
  "agents.files.list": ["agentId"],
  "agents.files.get": ["agentId", "name"],
  "agents.files.set": ["agentId", "name", "content", "expectedHash"],
  "sessions.patch": ["key", "agentId", "label"],
  "sessions.reset": ["key", "agentId", "reason"],
  "sessions.delete": ["key", "agentId", "deleteTranscript"],
  "sessions.list": ["limit", "offset", "agentId", "search", "includeGlobal", "includeUnknown"],
  "chat.send": ["sessionKey", "message", "deliver", "idempotencyKey", "agentId"],
  "chat.history": ["sessionKey", "agentId", "limit"],
  "config.get": [],
  "config.patch": ["raw", "baseHash", "replacePaths", "note", "restartDelayMs"]
}

class SimulatedError extends Error {
  constructor(
    message: string,
    readonly code = "INVALID_REQUEST",
    readonly details?: unknown,
    readonly retryable?: boolean,
    readonly retryAfterMs?: number
  ) {
    super(message)
  }
}

const mulberry32 = (seed: number) => () => {
  seed |= 0
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const deepMerge = (base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> => {
  const result: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(patch)) {
    const existing = result[key]
    result[key] = isObject(existing) && isObject(value) ? deepMerge(existing, value) : value
  }
  return result
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

/** A running simulator. */
export interface GatewaySimulator {
  readonly url: string
  readonly port: number
  readonly token: string | null
  readonly calls: () => ReadonlyArray<SimulatorCall>
  readonly clearCalls: () => void
  readonly agents: () => ReadonlyMap<string, SimulatedAgent>
  readonly file: (agentId: string, name: string) => string | undefined
  readonly putFile: (agentId: string, name: string, content: string) => void
  /** Adds an agent (visible at once, with the seeded files) or removes one, behind the control plane's back. */
  readonly putAgent: (agentId: string, workspace: string) => void
  readonly removeAgent: (agentId: string) => void
  /** Merges a partial config into the gateway's config, as an operator editing it would. */
  readonly mergeConfig: (patch: Record<string, unknown>) => void
  readonly chats: () => ReadonlyArray<Readonly<Record<string, unknown>>>
  readonly sessions: () => ReadonlySet<string>
  /** Every `connect` received, refused ones included. */
  readonly connects: () => ReadonlyArray<SimulatorConnect>
  readonly config: () => Readonly<Record<string, unknown>>
  readonly configPatches: () => number
  /** `config.patch` calls refused by the write limit (`configPatchLimit`). */
  readonly configPatchesRefused: () => number
  /** Connections opened so far (a client that reconnects opens another). */
  readonly connectionsOpened: () => number
  readonly openConnections: () => number
  readonly configure: (behaviour: Partial<SimulatorBehaviour>) => void
  /** Closes every connection with this code (1012 = service restart). */
  readonly dropConnections: (code?: number) => void
  /** Sends an event to every connected client, with the connection's next `seq`; returns how many got it. */
  readonly emit: (event: string, payload: unknown) => number
  /** Sends a `health` event listing these agents' recent sessions, as gateway 2026.9.6 does every 60 s. */
  readonly emitHealth: (agents: ReadonlyArray<SimulatedHealthAgent>) => number
  /** Sends the `agent` and `chat` events of one run (a reply, or a failure); returns how many clients got them. */
  readonly emitRun: (run: SimulatedRun) => number
  readonly stop: () => Promise<void>
}

/** Starts a simulator on a free loopback port; with `tls` (a PEM key and certificate) it serves `wss://`. */
export const startGatewaySimulator = async (
  initial: Partial<SimulatorBehaviour> = {},
  options: {
    readonly tls?: { readonly key: string; readonly cert: string }
    /** The loopback port to listen on (default: a free one): a gateway stopped and started again keeps its URL. */
    readonly port?: number
  } = {}
): Promise<GatewaySimulator> => {
  let behaviour: SimulatorBehaviour = {
    profile: "2026.9",
    token: "simulator-token",
    latencyMs: 0,
    latencyJitterMs: 0,
    answerDelayMs: 0,
    reloadDelayMs: 0,
    restartOnConfigPatch: false,
    faults: [],
    randomFaults: null,
    tickIntervalMs: 30_000,
    version: (initial.profile ?? "2026.9") === "2026.9" ? "2026.9.6" : "2026.4.1",
    configVersion: null,
    controlUiWithoutDevice: false,
    configPatchLimit: { max: (initial.profile ?? "2026.9") === "2026.9" ? 30 : 3, windowMs: 60_000 },
    ...initial
  }
  let random = mulberry32(behaviour.randomFaults?.seed ?? 1)
  const faultHits = new Map<SimulatedFault, number>()
  const agents = new Map<string, SimulatedAgent>()
  const sessions = new Set<string>()
  const sessionIds = new Map<string, { readonly sessionId: string; label: unknown }>()
  const history = new Map<string, Array<Record<string, unknown>>>()
  const connects: Array<SimulatorConnect> = []
  const chats: Array<Record<string, unknown>> = []
  const calls: Array<SimulatorCall> = []
  let config: Record<string, unknown> = behaviour.profile === "2026.9"
    ? { agents: { entries: { main: {} } } }
    : { agents: { list: [{ id: "main" }] } }
  let configPatches = 0
  let configPatchesRefused = 0
  const writeBudgets = new Map<string, { count: number; readonly windowStart: number }>()
  // The real gateway's budget check, before the method runs: the refusal, or undefined when the call may go on.
  const refuseOverBudget = (client: string): SimulatedError | undefined => {
    const limit = behaviour.configPatchLimit
    if (limit === null) return undefined
    const now = Date.now()
    const budget = writeBudgets.get(client)
    if (budget === undefined || now - budget.windowStart >= limit.windowMs) {
      writeBudgets.set(client, { count: 1, windowStart: now })
      return undefined
    }
    if (budget.count < limit.max) {
      budget.count++
      return undefined
    }
    configPatchesRefused++
    const retryAfterMs = Math.max(0, budget.windowStart + limit.windowMs - now)
    return new SimulatedError(
      `rate limit exceeded for config.patch; retry after ${Math.ceil(retryAfterMs / 1000)}s`,
      "UNAVAILABLE",
      { method: "config.patch", limit: `${limit.max} per ${limit.windowMs / 1000}s` },
      true,
      retryAfterMs
    )
  }
  let connectionsOpened = 0
  const sockets = new Set<WebSocket>()
  const grantedScopes = new WeakMap<WebSocket, ReadonlyArray<string>>()
  const eventSeq = new WeakMap<WebSocket, number>()
  const emit = (event: string, payload: unknown) => {
    let reached = 0
    for (const open of sockets) {
      if (open.readyState !== WebSocket.OPEN || !grantedScopes.has(open)) continue
      const seq = (eventSeq.get(open) ?? 0) + 1
      eventSeq.set(open, seq)
      open.send(JSON.stringify({ type: "event", event, payload, seq }))
      reached++
    }
    return reached
  }
  agents.set("main", { id: "main", name: "main", workspace: "~/.openclaw/workspace", files: new Map(), visibleAt: 0 })

  const hashOf = () => `sha256:${sha256(canonicalJson(config))}`
  const writable = () => behaviour.profile === "2026.9" ? modernFiles : legacyFiles
  const protocol = () => behaviour.profile === "2026.9" ? 4 : 3
  const touchSession = (key: string, label?: unknown) => {
    sessions.add(key)
    const known = sessionIds.get(key)
    if (known === undefined) sessionIds.set(key, { sessionId: randomUUID(), label: label ?? null })
    else if (label !== undefined) known.label = label
    return sessionIds.get(key)!
  }
  const sessionRow = (key: string) => {
    const known = sessionIds.get(key)
    const agentId = /^agent:([^:]+):/.exec(key)?.[1] ?? null
    return {
      key,
      sessionId: known?.sessionId ?? null,
      label: known?.label ?? null,
      agentId,
      kind: "direct",
      isMain: /^agent:[^:]+:main$/.test(key),
      updatedAt: Date.now()
    }
  }

  const visibleAgent = (id: unknown): SimulatedAgent => {
    const agent = typeof id === "string" ? agents.get(id) : undefined
    if (agent === undefined || agent.visibleAt > Date.now()) throw new SimulatedError(`agent "${String(id)}" not found`)
    return agent
  }

  const fileInfo = (agent: SimulatedAgent, name: string, withContent: boolean) => {
    const content = agent.files.get(name)
    const base = { name, path: `${agent.workspace}/${name}`, missing: content === undefined }
    if (content === undefined) return base
    return {
      ...base,
      size: Buffer.byteLength(content),
      updatedAtMs: Date.now(),
      ...(behaviour.profile === "2026.9" ? { hash: sha256(content) } : {}),
      ...(withContent ? { content } : {})
    }
  }

  const handle = (method: string, params: Record<string, unknown>): unknown => {
    const allowed = allowedParams[method]
    if (allowed === undefined) throw new SimulatedError(`unknown method: ${method}`)
    for (const key of Object.keys(params)) {
      if (!allowed.includes(key) || (key === "expectedHash" && behaviour.profile === "2026.4")) {
        throw new SimulatedError(`invalid ${method} params: at root: unexpected property '${key}'`)
      }
    }
    switch (method) {
      case "health":
        return { ok: true, ts: Date.now() }
      case "agents.list":
        return {
          defaultId: "main",
          mainKey: "main",
          scope: "per-sender",
          agents: [...agents.values()].filter((agent) => agent.visibleAt <= Date.now()).map((agent) => ({
            id: agent.id,
            name: agent.name,
            workspace: agent.workspace
          }))
        }
      case "agents.create": {
        const name = String(params["name"] ?? "")
        const id = name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 64)
        if (id === "") throw new SimulatedError("invalid agents.create params: name")
        if (agents.has(id)) throw new SimulatedError(`agent "${id}" already exists`)
        const workspace = typeof params["workspace"] === "string" ? params["workspace"] : `~/.openclaw/workspace-${id}`
        const files = new Map(seededFiles.map((file) => [file, `# ${file}\n`]))
        agents.set(id, { id, name, workspace, files, visibleAt: Date.now() + behaviour.reloadDelayMs })
        if (behaviour.profile === "2026.9") config = deepMerge(config, { agents: { entries: { [id]: { workspace } } } })
        return { ok: true, agentId: id, name, workspace }
      }
      case "agents.update": {
        const agent = visibleAgent(params["agentId"])
        if (typeof params["name"] === "string") agent.name = params["name"]
        if (typeof params["workspace"] === "string") agent.workspace = params["workspace"]
        return { ok: true, agentId: agent.id }
      }
      case "agents.delete": {
        const agent = visibleAgent(params["agentId"])
        agents.delete(agent.id)
        return { ok: true, agentId: agent.id, removedBindings: 0 }
      }
      case "agents.files.list": {
        const agent = visibleAgent(params["agentId"])
        const names = behaviour.profile === "2026.9"
          ? ["AGENTS.md", "SOUL.md", "USER.md", "BOOTSTRAP.md", "MEMORY.md"]
          : [...writable()]
        return {
          agentId: agent.id,
          workspace: agent.workspace,
          files: names.map((name) => fileInfo(agent, name, false))
        }
      }
      case "agents.files.get": {
        const agent = visibleAgent(params["agentId"])
        const name = String(params["name"])
        if (!writable().has(name)) throw new SimulatedError(`unsupported file "${name}"`)
        return { agentId: agent.id, workspace: agent.workspace, file: fileInfo(agent, name, true) }
      }
      case "agents.files.set": {
        const agent = visibleAgent(params["agentId"])
        const name = String(params["name"])
        if (!writable().has(name)) throw new SimulatedError(`unsupported file "${name}"`)
        if (typeof params["content"] !== "string") throw new SimulatedError("invalid agents.files.set params: content")
        const current = agent.files.get(name)
        const currentHash = current === undefined ? null : sha256(current)
        if (typeof params["expectedHash"] === "string" && params["expectedHash"] !== currentHash) {
          throw new SimulatedError(`agent file "${name}" changed since it was read`, "INVALID_REQUEST", {
            type: "agent_file_conflict",
            name,
            currentHash
          })
        }
        agent.files.set(name, params["content"])
        return { ok: true, agentId: agent.id, workspace: agent.workspace, file: fileInfo(agent, name, false) }
      }
      case "sessions.patch":
      case "sessions.reset": {
        const key = String(params["key"] ?? "")
        if (key === "") throw new SimulatedError(`invalid ${method} params: key`)
        const entry = touchSession(key, params["label"])
        return { ok: true, key, entry: { sessionId: entry.sessionId, label: entry.label } }
      }
      case "sessions.delete": {
        const key = String(params["key"] ?? "")
        if (behaviour.profile === "2026.9" && /^agent:[^:]+:main$/.test(key)) {
          throw new SimulatedError(`Cannot delete the main session (${key}).`)
        }
        const deleted = sessions.delete(key)
        sessionIds.delete(key)
        history.delete(key)
        return { ok: true, key, deleted, archived: [] }
      }
      case "chat.send": {
        if (typeof params["idempotencyKey"] !== "string") {
          throw new SimulatedError("invalid chat.send params: must have required property 'idempotencyKey'")
        }
        const agentId = /^agent:([^:]+):/.exec(String(params["sessionKey"] ?? ""))?.[1]
        const agent = agentId === undefined ? undefined : agents.get(agentId)
        if (agentId !== undefined && agent !== undefined && agent.visibleAt > Date.now()) {
          throw new SimulatedError(`Agent "${agentId}" no longer exists in configuration`)
        }
        if (!chats.some((chat) => chat["idempotencyKey"] === params["idempotencyKey"])) {
          chats.push({ ...params })
          const sessionKey = String(params["sessionKey"] ?? "")
          touchSession(sessionKey)
          const messages = history.get(sessionKey) ?? []
          messages.push({
            role: "user",
            content: [{ type: "text", text: String(params["message"] ?? "") }],
            timestamp: Date.now(),
            idempotencyKey: params["idempotencyKey"]
          })
          history.set(sessionKey, messages)
        }
        return { runId: params["idempotencyKey"], status: "started" }
      }
      case "sessions.list": {
        const rows = [...sessions].map(sessionRow)
        return { ts: Date.now(), count: rows.length, totalCount: rows.length, hasMore: false, sessions: rows }
      }
      case "chat.history": {
        const sessionKey = String(params["sessionKey"] ?? "")
        if (sessionKey === "") throw new SimulatedError("invalid chat.history params: sessionKey")
        const messages = history.get(sessionKey) ?? []
        return { sessionKey, sessionId: sessionIds.get(sessionKey)?.sessionId ?? null, messages, hasMore: false }
      }
      case "config.get": {
        const shown = behaviour.configVersion === null
          ? config
          : deepMerge(config, { meta: { lastTouchedVersion: behaviour.configVersion } })
        return { config: shown, parsed: shown, hash: hashOf(), valid: true }
      }
      case "config.patch": {
        if (behaviour.profile === "2026.9") {
          if (typeof params["baseHash"] !== "string") {
            throw new SimulatedError("config base hash required; re-run config.get and retry")
          }
          if (params["baseHash"] !== hashOf()) {
            throw new SimulatedError("config changed since last load; re-run config.get and retry")
          }
        }
        let patch: unknown
        try {
          patch = JSON.parse(String(params["raw"]))
        } catch {
          throw new SimulatedError("invalid config.patch params: raw")
        }
        if (!isObject(patch)) throw new SimulatedError("invalid config.patch params: raw")
        const patchAgents = isObject(patch["agents"]) ? patch["agents"] : {}
        if (behaviour.profile === "2026.9") {
          if ("list" in patchAgents) throw new SimulatedError("invalid config: agents: Unrecognized key: \"list\"")
          const entries = isObject(patchAgents["entries"]) ? patchAgents["entries"] : {}
          for (const entry of Object.values(entries)) {
            const heartbeat = isObject(entry) && isObject(entry["heartbeat"]) ? entry["heartbeat"] : {}
            const unknown = Object.keys(heartbeat).find((key) => !protocol4HeartbeatKeys.has(key))
            if (unknown !== undefined) {
              throw new SimulatedError(`invalid config: agents.entries: Unrecognized key: "${unknown}"`)
            }
          }
        } else if ("entries" in patchAgents) {
          throw new SimulatedError("invalid config: agents: Unrecognized key: \"entries\"")
        }
        config = deepMerge(config, patch)
        configPatches++
        return { ok: true, hash: hashOf(), changedPaths: [] }
      }
    }
    throw new SimulatedError(`unknown method: ${method}`)
  }

  const faultFor = (method: string, params: Record<string, unknown>): SimulatedFault | undefined => {
    const agentId = typeof params["agentId"] === "string" ? params["agentId"] : undefined
    const fault = behaviour.faults.find((candidate) =>
      candidate.method === method && (candidate.agentId === undefined || candidate.agentId === agentId) &&
      (faultHits.get(candidate) ?? 0) < (candidate.times ?? Infinity)
    )
    if (fault !== undefined) {
      faultHits.set(fault, (faultHits.get(fault) ?? 0) + 1)
      return fault
    }
    const randomFaults = behaviour.randomFaults
    if (randomFaults !== null && random() < randomFaults.probability) {
      const kind = randomFaults.kinds[Math.floor(random() * randomFaults.kinds.length)] ?? "error"
      return { method, kind, message: "simulated random fault", retryable: true, code: "UNAVAILABLE" }
    }
    return undefined
  }

  const https = options.tls === undefined ? undefined : createServer({ key: options.tls.key, cert: options.tls.cert })
  const server = https === undefined
    ? new WebSocketServer({ host: "127.0.0.1", port: options.port ?? 0 })
    : new WebSocketServer({ server: https })
  if (https === undefined) await new Promise<void>((resolve) => server.once("listening", () => resolve()))
  else await new Promise<void>((resolve) => https.listen(options.port ?? 0, "127.0.0.1", () => resolve()))
  const port = ((https ?? server).address() as AddressInfo).port

  server.on("connection", (socket, upgrade) => {
    const origin = upgrade.headers.origin
    const connection = ++connectionsOpened
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
    socket.on("error", () => sockets.delete(socket))
    const nonce = randomUUID()
    // The key of the client's write budget: its device when it presented one, else this connection.
    let writeClient = `connection:${connection}`
    const challengeTs = Date.now()
    let connected = false
    const send = (frame: unknown) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame))
    }
    const reply = (request: RequestFrame, result: { readonly payload?: unknown; readonly error?: SimulatedError }) =>
      result.error === undefined
        ? send({ type: "res", id: request.id, ok: true, payload: result.payload })
        : send({
          type: "res",
          id: request.id,
          ok: false,
          error: {
            code: result.error.code,
            message: result.error.message,
            ...(result.error.details === undefined ? {} : { details: result.error.details }),
            ...(result.error.retryable === undefined ? {} : { retryable: result.error.retryable }),
            ...(result.error.retryAfterMs === undefined ? {} : { retryAfterMs: result.error.retryAfterMs })
          }
        })
    const tick = setInterval(
      () => send({ type: "event", event: "tick", payload: { ts: Date.now() } }),
      behaviour.tickIntervalMs
    )
    socket.on("close", () => clearInterval(tick))
    send({
      type: "event",
      event: "connect.challenge",
      payload: { nonce, ts: challengeTs, ...(behaviour.profile === "2026.9" ? { capabilities: [] } : {}) }
    })

    const connect = (request: RequestFrame): boolean => {
      const params = isObject(request.params) ? request.params : {}
      connects.push({ params, origin })
      const client = isObject(params["client"]) ? params["client"] : {}
      const min = Number(params["minProtocol"])
      const max = Number(params["maxProtocol"])
      if (!(min <= protocol() && protocol() <= max)) {
        reply(request, {
          error: new SimulatedError("protocol mismatch", "INVALID_REQUEST", {
            code: "PROTOCOL_MISMATCH",
            clientMinProtocol: min,
            clientMaxProtocol: max,
            expectedProtocol: protocol()
          })
        })
        socket.close(1002, "protocol mismatch")
        return false
      }
      if (!clientIds.has(String(client["id"]))) {
        reply(request, {
          error: new SimulatedError("invalid connect params: at /client/id: must be equal to one of the allowed values")
        })
        socket.close(1008, "invalid connect params")
        return false
      }
      const auth = isObject(params["auth"]) ? params["auth"] : {}
      if (behaviour.token !== null && auth["token"] !== behaviour.token) {
        reply(request, {
          error: new SimulatedError("unauthorized: gateway token mismatch", "INVALID_REQUEST", {
            code: "AUTH_TOKEN_MISMATCH",
            recommendedNextStep: "update_auth_credentials"
          })
        })
        socket.close(1008, "unauthorized")
        return false
      }
      const requested = Array.isArray(params["scopes"]) ? params["scopes"].map(String) : []
      let scopes = requested
      const device = isObject(params["device"]) ? params["device"] : undefined
      if (client["id"] === "openclaw-control-ui" && device === undefined && !behaviour.controlUiWithoutDevice) {
        reply(request, {
          error: new SimulatedError(
            "control ui requires device identity (use HTTPS or localhost secure context)",
            "INVALID_REQUEST",
            { code: "CONTROL_UI_DEVICE_IDENTITY_REQUIRED" }
          )
        })
        socket.close(1008, "control ui requires device identity")
        return false
      }
      if (device !== undefined) {
        const valid = verifyDevice(device, {
          clientId: String(client["id"]),
          clientMode: String(client["mode"]),
          role: String(params["role"] ?? "operator"),
          scopes: requested,
          token: typeof auth["token"] === "string" ? auth["token"] : "",
          nonce,
          platform: String(client["platform"] ?? "")
        })
        if (!valid) {
          reply(request, {
            error: new SimulatedError("device signature invalid", "INVALID_REQUEST", {
              code: "DEVICE_AUTH_SIGNATURE_INVALID"
            })
          })
          socket.close(1008, "device auth")
          return false
        }
      } else if (behaviour.profile === "2026.4") {
        scopes = [] // 2026.4 grants scopes to signed devices only
      }
      grantedScopes.set(socket, scopes)
      if (device !== undefined) writeClient = `device:${String(device["id"])}`
      reply(request, {
        payload: {
          type: "hello-ok",
          protocol: protocol(),
          server: { ...(behaviour.version === null ? {} : { version: behaviour.version }), connId: String(connection) },
          features: {
            methods: Object.keys(allowedParams),
            events: ["connect.challenge", "tick", "shutdown", "health", "chat", "agent"]
          },
          auth: { role: "operator", scopes },
          policy: { maxPayload: 26_214_400, maxBufferedBytes: 52_428_800, tickIntervalMs: behaviour.tickIntervalMs }
        }
      })
      return true
    }

    socket.on("message", (data) => {
      const frame = parseFrame(data.toString())
      if (frame === undefined || frame.type !== "req") return
      if (!connected) {
        if (frame.method !== "connect") {
          reply(frame, { error: new SimulatedError("invalid handshake: first request must be connect") })
          socket.close(1008, "invalid handshake")
          return
        }
        connected = connect(frame)
        return
      }
      const params = isObject(frame.params) ? frame.params : {}
      calls.push({ method: frame.method, params, connection })
      const scopes = grantedScopes.get(socket) ?? []
      const respond = () => {
        if (scopes.length === 0 && frame.method !== "health") {
          reply(frame, { error: new SimulatedError("missing scope: operator.admin") })
          return
        }
        const overBudget = frame.method === "config.patch" ? refuseOverBudget(writeClient) : undefined
        if (overBudget !== undefined) {
          reply(frame, { error: overBudget })
          return
        }
        const fault = faultFor(frame.method, params)
        if (fault?.kind === "drop") {
          socket.terminate()
          return
        }
        if (fault?.kind === "stall") return
        if (fault?.kind === "error") {
          reply(frame, {
            error: new SimulatedError(
              fault.message ?? "simulated failure",
              fault.code ?? "INVALID_REQUEST",
              undefined,
              fault.retryable
            )
          })
          return
        }
        try {
          const payload = handle(frame.method, params)
          if (behaviour.answerDelayMs > 0) setTimeout(() => reply(frame, { payload }), behaviour.answerDelayMs)
          else reply(frame, { payload })
          if (frame.method === "config.patch" && behaviour.restartOnConfigPatch) {
            setTimeout(() => {
              for (const open of sockets) {
                if (open.readyState === WebSocket.OPEN) {
                  open.send(
                    JSON.stringify({
                      type: "event",
                      event: "shutdown",
                      payload: { reason: "gateway restarting", restartExpectedMs: 100 }
                    })
                  )
                  open.close(1012, "service restart")
                }
              }
            }, 5)
          }
        } catch (error) {
          reply(frame, {
            error: error instanceof SimulatedError ? error : new SimulatedError(String(error), "UNAVAILABLE")
          })
        }
      }
      const delay = behaviour.latencyMs +
        (behaviour.latencyJitterMs > 0 ? Math.floor(random() * behaviour.latencyJitterMs) : 0)
      if (delay > 0) setTimeout(respond, delay)
      else respond()
    })
  })

  return {
    url: `${https === undefined ? "ws" : "wss"}://127.0.0.1:${port}`,
    port,
    get token() {
      return behaviour.token
    },
    calls: () => [...calls],
    clearCalls: () => void calls.splice(0, calls.length),
    agents: () => agents,
    file: (agentId, name) => agents.get(agentId)?.files.get(name),
    putFile: (agentId, name, content) => void agents.get(agentId)?.files.set(name, content),
    putAgent: (agentId, workspace) =>
      void agents.set(agentId, {
        id: agentId,
        name: agentId,
        workspace,
        files: new Map(seededFiles.map((file) => [file, `# ${file}\n`])),
        visibleAt: 0
      }),
    removeAgent: (agentId) => void agents.delete(agentId),
    mergeConfig: (patch) => {
      config = deepMerge(config, patch)
    },
    chats: () => chats,
    sessions: () => sessions,
    connects: () => [...connects],
    config: () => config,
    configPatches: () => configPatches,
    configPatchesRefused: () => configPatchesRefused,
    connectionsOpened: () => connectionsOpened,
    openConnections: () => sockets.size,
    configure: (next) => {
      behaviour = { ...behaviour, ...next }
      if (next.randomFaults !== undefined) random = mulberry32(next.randomFaults?.seed ?? 1)
    },
    dropConnections: (code = 1012) => {
      for (const open of sockets) open.close(code, code === 1012 ? "service restart" : "dropped")
    },
    emit,
    emitHealth: (healthAgents) => emit("health", healthPayload(healthAgents)),
    emitRun: (run) => Math.min(...runEvents(run).map(([event, payload]) => emit(event, payload))),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const open of sockets) open.terminate()
        server.close(() => (https === undefined ? resolve() : https.close(() => resolve())))
      })
  }
}

const verifyDevice = (
  device: Record<string, unknown>,
  connect: Omit<SignedConnect, "deviceFamily" | "signedAt">
): boolean => {
  try {
    if (device["nonce"] !== connect.nonce) return false
    const raw = Buffer.from(String(device["publicKey"]), "base64url")
    if (createHash("sha256").update(raw).digest("hex") !== device["id"]) return false
    const key = createPublicKey({
      key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]),
      format: "der",
      type: "spki"
    })
    const payload = signaturePayload(String(device["id"]), {
      ...connect,
      deviceFamily: "",
      signedAt: Number(device["signedAt"])
    })
    return verify(null, Buffer.from(payload, "utf8"), key, Buffer.from(String(device["signature"]), "base64url"))
  } catch {
    return false
  }
}

/** The simulator for as long as the scope lasts. */
export const simulator = (behaviour: Partial<SimulatorBehaviour> = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => startGatewaySimulator(behaviour)),
    (running) => Effect.promise(running.stop)
  )
