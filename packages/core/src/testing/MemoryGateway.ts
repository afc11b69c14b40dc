import type { Cause } from "effect"
import { Clock, Context, Duration, Effect, Layer, Option, Queue, Stream } from "effect"
import { createHash } from "node:crypto"
import type { JsonObject } from "../domain/models.js"
import { sha256Hex } from "../services/AgentTokens.js"
import type {
  GatewayActivity,
  GatewayCapabilities,
  GatewayClient,
  GatewayErrorReason,
  GatewayFileEntry,
  HeartbeatEntry
} from "../services/GatewayControlPlane.js"
import type { GatewayError } from "../services/GatewayControlPlane.js"
import { GatewayControlPlane, gatewayError, protocol4WritableFiles } from "../services/GatewayControlPlane.js"

/** One call the in-memory gateway received. */
export interface GatewayCall {
  readonly gatewayId: string
  readonly method: string
  readonly params: Readonly<Record<string, unknown>>
}

/** An agent as the in-memory gateway holds it. */
export interface MemoryGatewayAgent {
  readonly id: string
  name: string
  workspace: string
  readonly files: Map<string, string>
  /** Clock time (ms) from which the agent is visible to file and chat calls. */
  readonly visibleFrom: number
}

/** A chat message the in-memory gateway received. */
export interface MemoryChatMessage {
  readonly sessionKey: string
  readonly message: string
  readonly deliver: boolean
  readonly idempotencyKey: string
}

/** How an in-memory gateway behaves. */
export interface MemoryGatewayBehaviour {
  /** Files `writeFile` accepts; `null` means all. */
  readonly writableFiles: ReadonlySet<string> | null
  /** The file carrying the token that capabilities report. */
  readonly tokenFile: string
  /** Delay before every call. */
  readonly latency: Duration.Input | null
  /** How long a created agent stays invisible (the real gateway reloads its config). */
  readonly visibilityDelay: Duration.Input | null
  /** Refuse `sessions.delete` of `agent:<id>:main`, as gateway 2026.9 does. */
  readonly refuseMainSessionDelete: boolean
  /** The version the handshake reports; null when it does not tell. */
  readonly serverVersion: string | null
  /** `config.meta.lastTouchedVersion`, the fallback of the version check; null when absent. */
  readonly configVersion: string | null
}

/** The reference-era gateway: every file writable, the token in TOOLS.md. */
export const classicBehaviour: MemoryGatewayBehaviour = {
  writableFiles: null,
  tokenFile: "TOOLS.md",
  latency: null,
  visibilityDelay: null,
  refuseMainSessionDelete: false,
  serverVersion: "2026.2.9",
  configVersion: null
}

/** Files gateway 2026.9.x accepts through `agents.files.set`. */
export const modernWritableFiles: ReadonlySet<string> = protocol4WritableFiles

/** Behaves like gateway 2026.9.6: a restricted file set (token in AGENTS.md), a reload delay, main sessions kept. */
export const modernBehaviour: MemoryGatewayBehaviour = {
  writableFiles: modernWritableFiles,
  tokenFile: "AGENTS.md",
  latency: null,
  visibilityDelay: "1 second",
  refuseMainSessionDelete: true,
  serverVersion: "2026.9.6",
  configVersion: null
}

/** A failure to answer on a method instead of doing it. */
export interface InjectedGatewayFailure {
  readonly method: string
  readonly reason: GatewayErrorReason
  readonly message: string
  /** How many calls fail; `Infinity` for all. */
  readonly times: number
  /** Only on this gateway. */
  readonly gatewayId?: string
  /** Only when the call's agent id is this. */
  readonly agentId?: string
  /** Runs as the failure is answered: what changed on the gateway meanwhile (an agent editing a file, say). */
  readonly onFail?: () => void
}

interface GatewayState {
  readonly agents: Map<string, MemoryGatewayAgent>
  readonly sessions: Set<string>
  readonly sessionLabels: Map<string, string>
  readonly heartbeats: Map<string, { readonly workspace: string; readonly heartbeat: JsonObject }>
  readonly chats: Array<MemoryChatMessage>
  configPatches: number
}

/** Control and inspection of the in-memory gateways (one per gateway id). */
export class MemoryGateway extends Context.Service<MemoryGateway, {
  readonly calls: (gatewayId?: string) => ReadonlyArray<GatewayCall>
  readonly clearCalls: () => void
  readonly agents: (gatewayId: string) => ReadonlyMap<string, MemoryGatewayAgent>
  readonly file: (gatewayId: string, agentId: string, name: string) => string | undefined
  /** Changes a workspace file behind the control plane's back. */
  readonly putFile: (gatewayId: string, agentId: string, name: string, content: string) => void
  readonly removeFile: (gatewayId: string, agentId: string, name: string) => void
  /** Adds an agent (visible at once) or removes one behind the control plane's back. */
  readonly putAgent: (gatewayId: string, agentId: string, workspace: string) => void
  readonly removeAgent: (gatewayId: string, agentId: string) => void
  /** Changes an agent's heartbeat settings behind the control plane's back. */
  readonly putHeartbeat: (gatewayId: string, agentId: string, workspace: string, heartbeat: JsonObject) => void
  readonly chats: (gatewayId: string) => ReadonlyArray<MemoryChatMessage>
  readonly heartbeats: (
    gatewayId: string
  ) => ReadonlyMap<string, { readonly workspace: string; readonly heartbeat: JsonObject }>
  readonly configPatches: (gatewayId: string) => number
  readonly sessions: (gatewayId: string) => ReadonlySet<string>
  readonly fail: (failure: InjectedGatewayFailure) => void
  readonly clearFailures: () => void
  /** Sets the behaviour of every gateway (or of one). */
  readonly configure: (behaviour: Partial<MemoryGatewayBehaviour>, gatewayId?: string) => void
  /** Delivers activity to the gateway's `events` subscribers; returns how many got it. */
  readonly emitActivity: (gatewayId: string, activity: GatewayActivity) => number
  /** Open `events` subscriptions of the gateway. */
  readonly activitySubscribers: (gatewayId: string) => number
  /** Ends the gateway's `events` subscriptions, as a connection closed for good ends them. */
  readonly endActivity: (gatewayId: string) => void
}>()("@mission-control/core/testing/MemoryGateway") {}

const agentIdOf = (params: Readonly<Record<string, unknown>>): string | undefined => {
  const value = params["agentId"] ?? params["sessionKey"] ?? params["key"]
  if (typeof value !== "string") return undefined
  const session = /^agent:([^:]+):/.exec(value)
  return session?.[1] ?? value
}

/** An in-memory `GatewayControlPlane` that records calls and can inject failures, latency and reload delays. */
export const layer = (initial: Partial<MemoryGatewayBehaviour> = {}) => {
  const make = Effect.sync(() => {
    const states = new Map<string, GatewayState>()
    const calls: Array<GatewayCall> = []
    const failures: Array<InjectedGatewayFailure & { remaining: number }> = []
    const subscribers = new Map<string, Set<Queue.Queue<GatewayActivity, Cause.Done>>>()
    const subscribersOf = (gatewayId: string) => {
      let set = subscribers.get(gatewayId)
      if (set === undefined) subscribers.set(gatewayId, set = new Set())
      return set
    }
    let defaults: MemoryGatewayBehaviour = { ...classicBehaviour, ...initial }
    const overrides = new Map<string, Partial<MemoryGatewayBehaviour>>()
    const behaviourOf = (gatewayId: string): MemoryGatewayBehaviour => ({ ...defaults, ...overrides.get(gatewayId) })
    const stateOf = (gatewayId: string): GatewayState => {
      let state = states.get(gatewayId)
      if (state === undefined) {
        state = {
          agents: new Map(),
          sessions: new Set(),
          sessionLabels: new Map(),
          heartbeats: new Map(),
          chats: [],
          configPatches: 0
        }
        states.set(gatewayId, state)
      }
      return state
    }

    const call = <A>(
      gatewayId: string,
      method: string,
      params: Record<string, unknown>,
      f: (state: GatewayState, now: number) => Effect.Effect<A, GatewayError>
    ): Effect.Effect<A, GatewayError> =>
      Effect.gen(function*() {
        const behaviour = behaviourOf(gatewayId)
        if (behaviour.latency !== null) yield* Effect.sleep(behaviour.latency)
        calls.push({ gatewayId, method, params })
        yield* injectedFailure(gatewayId, method, params)
        return yield* f(stateOf(gatewayId), yield* Clock.currentTimeMillis)
      })

    // A failure injected with `fail` for this call, if any is left.
    const injectedFailure = (gatewayId: string, method: string, params: Record<string, unknown>) =>
      Effect.suspend(() => {
        const agentId = agentIdOf(params)
        const failure = failures.find((candidate) =>
          candidate.method === method && candidate.remaining > 0 &&
          (candidate.gatewayId === undefined || candidate.gatewayId === gatewayId) &&
          (candidate.agentId === undefined || candidate.agentId === agentId)
        )
        if (failure === undefined) return Effect.void
        failure.remaining--
        failure.onFail?.()
        return Effect.fail(gatewayError(method, failure.reason, failure.message))
      })

    const visibleAgent = (
      method: string,
      state: GatewayState,
      agentId: string,
      now: number
    ): Effect.Effect<MemoryGatewayAgent, GatewayError> => {
      const agent = state.agents.get(agentId)
      if (agent === undefined || agent.visibleFrom > now) {
        return Effect.fail(gatewayError(method, "NotFound", `agent "${agentId}" not found`))
      }
      return Effect.succeed(agent)
    }

    const client = (gatewayId: string): GatewayClient => ({
      // What the connection's handshake reports: `fail({ method: "connect" })` makes the gateway unreachable.
      capabilities: Effect.andThen(
        injectedFailure(gatewayId, "connect", {}),
        Effect.sync((): GatewayCapabilities => {
          const behaviour = behaviourOf(gatewayId)
          return {
            writableFiles: behaviour.writableFiles,
            tokenFile: behaviour.tokenFile,
            serverVersion: behaviour.serverVersion,
            protocol: 4
          }
        })
      ),
      health: call(gatewayId, "health", {}, () => Effect.succeed({ ok: true })),
      createAgent: ({ agentId, workspace }) =>
        call(gatewayId, "agents.create", { name: agentId, workspace }, (state, now) => {
          if (state.agents.has(agentId)) {
            return Effect.fail(gatewayError("agents.create", "AlreadyExists", `agent "${agentId}" already exists`))
          }
          const delay = behaviourOf(gatewayId).visibilityDelay
          const visibleFrom = delay === null ? now : now + durationMillis(delay)
          state.agents.set(agentId, { id: agentId, name: agentId, workspace, files: new Map(), visibleFrom })
          return Effect.void
        }),
      updateAgent: ({ agentId, name, workspace }) =>
        call(
          gatewayId,
          "agents.update",
          { agentId, name, workspace },
          (state, now) =>
            visibleAgent("agents.update", state, agentId, now).pipe(Effect.map((agent) => {
              agent.name = name
              agent.workspace = workspace
            }))
        ),
      deleteAgent: (agentId, { deleteFiles }) =>
        call(gatewayId, "agents.delete", { agentId, deleteFiles }, (state) => {
          if (!state.agents.delete(agentId)) {
            return Effect.fail(gatewayError("agents.delete", "NotFound", `agent "${agentId}" not found`))
          }
          state.heartbeats.delete(agentId)
          return Effect.void
        }),
      listFiles: (agentId) =>
        call(
          gatewayId,
          "agents.files.list",
          { agentId },
          (state, now) =>
            visibleAgent("agents.files.list", state, agentId, now).pipe(Effect.map((agent) =>
              new Map<string, GatewayFileEntry>(
                [...agent.files].map(([name, content]) => [name, {
                  name,
                  missing: false,
                  size: new TextEncoder().encode(content).length,
                  hash: sha256(content)
                }])
              )
            ))
        ),
      readFile: (agentId, name) =>
        call(
          gatewayId,
          "agents.files.get",
          { agentId, name },
          (state, now) =>
            visibleAgent("agents.files.get", state, agentId, now).pipe(Effect.flatMap((agent) => {
              const writable = behaviourOf(gatewayId).writableFiles
              if (writable !== null && !writable.has(name)) {
                return Effect.fail(gatewayError("agents.files.get", "UnsupportedFile", `unsupported file "${name}"`))
              }
              const content = agent.files.get(name)
              if (content === undefined) return Effect.succeed(Option.none())
              return sha256Hex(content).pipe(Effect.map((hash) => Option.some({ content, hash })))
            }))
        ),
      writeFile: (agentId, name, content, options) =>
        call(
          gatewayId,
          "agents.files.set",
          options?.expectedHash == null
            ? { agentId, name, content }
            : { agentId, name, content, expectedHash: options.expectedHash },
          (state, now) =>
            visibleAgent("agents.files.set", state, agentId, now).pipe(Effect.flatMap((agent) => {
              const writable = behaviourOf(gatewayId).writableFiles
              if (writable !== null && !writable.has(name)) {
                return Effect.fail(gatewayError("agents.files.set", "UnsupportedFile", `unsupported file "${name}"`))
              }
              const current = agent.files.get(name)
              const expected = options?.expectedHash ?? null
              if (expected !== null && (current === undefined || sha256(current) !== expected)) {
                return Effect.fail(
                  gatewayError("agents.files.set", "Conflict", `agent file "${name}" changed since it was read`)
                )
              }
              agent.files.set(name, content)
              return Effect.void
            }))
        ),
      listAgents: call(
        gatewayId,
        "agents.list",
        {},
        (state) =>
          Effect.sync(() =>
            [...state.agents.values()].map((agent) => ({ id: agent.id, name: agent.name, workspace: agent.workspace }))
          )
      ),
      heartbeatDrift: (entries) =>
        call(gatewayId, "config.get", {}, (state) =>
          Effect.sync(() =>
            entries.flatMap((entry) => {
              const current = state.heartbeats.get(entry.agentId)
              return heartbeatDiffers(current, entry)
                ? [{ agentId: entry.agentId, current: current?.heartbeat ?? null, wanted: entry.heartbeat }]
                : []
            })
          )),
      patchHeartbeats: (entries: ReadonlyArray<HeartbeatEntry>) =>
        call(gatewayId, "config.get", {}, (state) => Effect.succeed(state)).pipe(
          Effect.flatMap((state): Effect.Effect<{ readonly patched: boolean }, GatewayError> => {
            const changed = entries.filter((entry) => heartbeatDiffers(state.heartbeats.get(entry.agentId), entry))
            if (changed.length === 0) return Effect.succeed({ patched: false })
            return call(gatewayId, "config.patch", { entries: changed.map((entry) => entry.agentId) }, (patchState) => {
              for (const entry of changed) {
                patchState.heartbeats.set(entry.agentId, { workspace: entry.workspace, heartbeat: entry.heartbeat })
              }
              patchState.configPatches++
              return Effect.succeed({ patched: true })
            })
          })
        ),
      ensureSession: (key, label) =>
        call(
          gatewayId,
          "sessions.patch",
          label === undefined ? { key } : { key, label },
          (state) =>
            Effect.sync(() => {
              state.sessions.add(key)
              if (label !== undefined) state.sessionLabels.set(key, label)
              return sessionRow(state, key)
            })
        ),
      resetSession: (key) =>
        call(gatewayId, "sessions.reset", { key }, (state) => Effect.sync(() => void state.sessions.add(key))),
      deleteSession: (key) =>
        call(gatewayId, "sessions.delete", { key }, (state) => {
          if (behaviourOf(gatewayId).refuseMainSessionDelete && key.endsWith(":main")) {
            return Effect.fail(
              gatewayError("sessions.delete", "MainSession", `Cannot delete the main session (${key}).`)
            )
          }
          state.sessions.delete(key)
          state.sessionLabels.delete(key)
          return Effect.void
        }),
      sendChat: (params) =>
        call(gatewayId, "chat.send", { ...params }, (state, now) => {
          const agentId = agentIdOf({ sessionKey: params.sessionKey })
          const agent = agentId === undefined ? undefined : state.agents.get(agentId)
          if (agent !== undefined && agent.visibleFrom > now) {
            return Effect.fail(
              gatewayError("chat.send", "NotFound", `Agent "${agentId}" no longer exists in configuration`)
            )
          }
          if (!state.chats.some((chat) => chat.idempotencyKey === params.idempotencyKey)) {
            state.chats.push({ ...params })
          }
          return Effect.void
        }),
      listSessions: call(gatewayId, "sessions.list", {}, (state) =>
        Effect.sync(() => {
          const keys = new Set([...state.sessions, ...state.chats.map((chat) => chat.sessionKey)])
          return [...keys].map((key) => sessionRow(state, key))
        })),
      chatHistory: (sessionKey) =>
        call(gatewayId, "chat.history", { sessionKey }, (state) =>
          Effect.succeed(
            state.chats.filter((chat) => chat.sessionKey === sessionKey).map((chat) => ({
              role: "user",
              content: chat.message,
              idempotencyKey: chat.idempotencyKey
            }))
          )),
      catalog: Effect.andThen(
        injectedFailure(gatewayId, "connect", {}),
        Effect.succeed({ protocol: 4, methods: memoryMethods, events: memoryEvents })
      ),
      configVersion: call(gatewayId, "config.get", {}, () => Effect.sync(() => behaviourOf(gatewayId).configVersion)),
      // `fail({ method: "connect" })` fails a subscription as an unreachable gateway does.
      events: Stream.unwrap(Effect.as(
        injectedFailure(gatewayId, "connect", {}),
        Stream.callback<GatewayActivity>((queue) =>
          Effect.acquireRelease(
            Effect.sync(() => void subscribersOf(gatewayId).add(queue)),
            () => Effect.sync(() => void subscribersOf(gatewayId).delete(queue))
          )
        )
      ))
    })

    const control: MemoryGateway["Service"] = {
      calls: (gatewayId) =>
        gatewayId === undefined ? [...calls] : calls.filter((entry) => entry.gatewayId === gatewayId),
      clearCalls: () => void calls.splice(0, calls.length),
      agents: (gatewayId) => stateOf(gatewayId).agents,
      file: (gatewayId, agentId, name) => stateOf(gatewayId).agents.get(agentId)?.files.get(name),
      putFile: (gatewayId, agentId, name, content) =>
        void stateOf(gatewayId).agents.get(agentId)?.files.set(name, content),
      removeFile: (gatewayId, agentId, name) => void stateOf(gatewayId).agents.get(agentId)?.files.delete(name),
      putAgent: (gatewayId, agentId, workspace) =>
        void stateOf(gatewayId).agents.set(agentId, {
          id: agentId,
          name: agentId,
          workspace,
          files: new Map(),
          visibleFrom: 0
        }),
      removeAgent: (gatewayId, agentId) => void stateOf(gatewayId).agents.delete(agentId),
      putHeartbeat: (gatewayId, agentId, workspace, heartbeat) =>
        void stateOf(gatewayId).heartbeats.set(agentId, { workspace, heartbeat }),
      chats: (gatewayId) => stateOf(gatewayId).chats,
      heartbeats: (gatewayId) => stateOf(gatewayId).heartbeats,
      configPatches: (gatewayId) => stateOf(gatewayId).configPatches,
      sessions: (gatewayId) => stateOf(gatewayId).sessions,
      fail: (failure) => void failures.push({ ...failure, remaining: failure.times }),
      clearFailures: () => void failures.splice(0, failures.length),
      configure: (behaviour, gatewayId) => {
        if (gatewayId === undefined) defaults = { ...defaults, ...behaviour }
        else overrides.set(gatewayId, { ...overrides.get(gatewayId), ...behaviour })
      },
      emitActivity: (gatewayId, activity) => {
        const open = [...subscribersOf(gatewayId)]
        for (const queue of open) Queue.offerUnsafe(queue, activity)
        return open.length
      },
      activitySubscribers: (gatewayId) => subscribersOf(gatewayId).size,
      endActivity: (gatewayId) => {
        for (const queue of subscribersOf(gatewayId)) Queue.endUnsafe(queue)
        subscribersOf(gatewayId).clear()
      }
    }
    const controlPlane: GatewayControlPlane["Service"] = {
      client: (target) => Effect.succeed(client(target.gatewayId)),
      // No connection to keep or close: a probe talks to the same in-memory gateway as the pool does.
      probe: (target) => Effect.succeed(client(target.gatewayId))
    }
    return { control, controlPlane }
  })
  return Layer.effectContext(
    Effect.map(
      make,
      ({ control, controlPlane }) =>
        Context.make(MemoryGateway, control).pipe(Context.add(GatewayControlPlane, controlPlane))
    )
  )
}

// What the in-memory gateway answers, named as the real gateway names them.
const memoryMethods = [
  "health",
  "agents.list",
  "agents.create",
  "agents.update",
  "agents.delete",
  "agents.files.list",
  "agents.files.get",
  "agents.files.set",
  "sessions.list",
  "sessions.patch",
  "sessions.reset",
  "sessions.delete",
  "chat.send",
  "chat.history",
  "config.get",
  "config.patch"
]
const memoryEvents = ["connect.challenge", "tick", "shutdown", "health", "chat", "agent"]

const sessionRow = (state: GatewayState, key: string) => ({
  key,
  label: state.sessionLabels.get(key) ?? null,
  agentId: /^agent:([^:]+):/.exec(key)?.[1] ?? null
})

const sha256 = (content: string): string => createHash("sha256").update(content, "utf8").digest("hex")

const heartbeatDiffers = (
  current: { readonly workspace: string; readonly heartbeat: JsonObject } | undefined,
  entry: HeartbeatEntry
): boolean =>
  current === undefined || current.workspace !== entry.workspace ||
  JSON.stringify(current.heartbeat) !== JSON.stringify(entry.heartbeat)

const durationMillis = (input: Duration.Input): number => Duration.toMillis(Duration.fromInputUnsafe(input))
