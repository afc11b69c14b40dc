import type {
  GatewayCapabilities,
  GatewayClient,
  GatewayError,
  GatewayFileEntry,
  HeartbeatEntry,
  JsonObject
} from "@mission-control/core"
import { gatewayError, protocol4WritableFiles } from "@mission-control/core"
import { Effect, Option } from "effect"
import { activityEvents } from "./activity.js"
import type { GatewayConnection } from "./GatewayConnection.js"
import type { HeartbeatPatchApplied, HeartbeatPatchOptions } from "./heartbeatPatches.js"
import { makeHeartbeatPatcher } from "./heartbeatPatches.js"
import type { HelloInfo } from "./protocol.js"
import { isObject, protocol4HeartbeatKeys } from "./protocol.js"

const channelHeartbeatDefaults = { showOk: false, showAlerts: true, useIndicator: true }

/** JSON with sorted keys: equal values give equal text, whatever order the gateway or the database kept. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (isObject(value)) {
    return `{${
      Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")
    }}`
  }
  return JSON.stringify(value) ?? "null"
}

const hasConfigEntries = (config: Record<string, unknown>, hello: HelloInfo): boolean => {
  const agents = isObject(config["agents"]) ? config["agents"] : {}
  if (Array.isArray(agents["list"])) return false
  return isObject(agents["entries"]) || hello.protocol >= 4
}

interface ConfigSnapshot {
  readonly config: Record<string, unknown>
  readonly hash: string | null
}

const readConfig = (connection: GatewayConnection): Effect.Effect<ConfigSnapshot, GatewayError> =>
  connection.request("config.get", {}).pipe(Effect.flatMap((payload) => {
    if (!isObject(payload)) {
      return Effect.fail(gatewayError("config.get", "Rejected", "config.get returned invalid payload"))
    }
    const config = isObject(payload["config"])
      ? payload["config"]
      : isObject(payload["parsed"])
      ? payload["parsed"]
      : {}
    return Effect.succeed({ config, hash: typeof payload["hash"] === "string" ? payload["hash"] : null })
  }))

const protocol4Heartbeat = (entry: HeartbeatEntry): JsonObject =>
  Object.fromEntries(Object.entries(entry.heartbeat).filter(([key]) => protocol4HeartbeatKeys.has(key)))

/** A `config.patch` to send: the patch and whom it changes. */
interface PlannedPatch {
  readonly patch: Record<string, unknown>
  readonly changedAgents: ReadonlySet<string>
  readonly sharedChange: boolean
}

/** The patch for `agents.entries.<id>.heartbeat` (2026.9 and later), or undefined when nothing would change. */
const entriesPatch = (
  config: Record<string, unknown>,
  entries: ReadonlyArray<HeartbeatEntry>
): PlannedPatch | undefined => {
  const agents = isObject(config["agents"]) ? config["agents"] : {}
  const current = isObject(agents["entries"]) ? agents["entries"] : {}
  const patch: Record<string, unknown> = {}
  for (const entry of entries) {
    const heartbeat = protocol4Heartbeat(entry)
    const existing = isObject(current[entry.agentId])
      ? (current[entry.agentId] as Record<string, unknown>)["heartbeat"]
      : undefined
    if (canonicalJson(existing ?? null) !== canonicalJson(heartbeat)) patch[entry.agentId] = { heartbeat }
  }
  return Object.keys(patch).length === 0
    ? undefined
    : { patch: { agents: { entries: patch } }, changedAgents: new Set(Object.keys(patch)), sharedChange: false }
}

/** The entries whose `agents.entries.<id>.heartbeat` differs from the wanted settings (the keys 2026.9 knows). */
const entriesDrift = (config: Record<string, unknown>, entries: ReadonlyArray<HeartbeatEntry>) => {
  const agents = isObject(config["agents"]) ? config["agents"] : {}
  const current = isObject(agents["entries"]) ? agents["entries"] : {}
  return entries.flatMap((entry) => {
    const wanted = protocol4Heartbeat(entry)
    const item = current[entry.agentId]
    const existing = isObject(item) && isObject(item["heartbeat"]) ? item["heartbeat"] : null
    return canonicalJson(existing) === canonicalJson(wanted)
      ? []
      : [{ agentId: entry.agentId, current: existing as JsonObject | null, wanted }]
  })
}

/** The entries whose legacy `agents.list` item is absent or has another workspace or heartbeat. */
const listDrift = (config: Record<string, unknown>, entries: ReadonlyArray<HeartbeatEntry>) => {
  const agents = isObject(config["agents"]) ? config["agents"] : {}
  const list = Array.isArray(agents["list"]) ? agents["list"].filter(isObject) : []
  return entries.flatMap((entry) => {
    const item = list.find((candidate) => candidate["id"] === entry.agentId)
    const existing = item !== undefined && isObject(item["heartbeat"]) ? item["heartbeat"] : null
    const same = item !== undefined && item["workspace"] === entry.workspace &&
      canonicalJson(existing) === canonicalJson(entry.heartbeat)
    return same ? [] : [{ agentId: entry.agentId, current: existing as JsonObject | null, wanted: entry.heartbeat }]
  })
}

/** The reference's patch of the legacy `agents.list` roster plus channel defaults, or undefined when unchanged. */
const listPatch = (
  config: Record<string, unknown>,
  entries: ReadonlyArray<HeartbeatEntry>
): PlannedPatch | undefined => {
  const agents = isObject(config["agents"]) ? config["agents"] : {}
  const list = Array.isArray(agents["list"]) ? agents["list"] : []
  const wanted = new Map(entries.map((entry) => [entry.agentId, entry]))
  const seen = new Set<string>()
  const next = list.map((item: unknown) => {
    if (!isObject(item) || typeof item["id"] !== "string") return item
    const entry = wanted.get(item["id"])
    if (entry === undefined) return item
    seen.add(entry.agentId)
    return { ...item, workspace: entry.workspace, heartbeat: entry.heartbeat }
  })
  for (const entry of entries) {
    if (!seen.has(entry.agentId)) {
      next.push({ id: entry.agentId, workspace: entry.workspace, heartbeat: entry.heartbeat })
    }
  }
  const channels = isObject(config["channels"]) ? config["channels"] : {}
  const defaults = isObject(channels["defaults"]) ? channels["defaults"] : {}
  const heartbeat = isObject(defaults["heartbeat"]) ? defaults["heartbeat"] : undefined
  const missing = Object.fromEntries(
    Object.entries(channelHeartbeatDefaults).filter(([key]) => heartbeat === undefined || !(key in heartbeat))
  )
  const patch: Record<string, unknown> = {}
  if (canonicalJson(next) !== canonicalJson(list)) patch["agents"] = { list: next }
  if (Object.keys(missing).length > 0) patch["channels"] = { defaults: { heartbeat: { ...heartbeat, ...missing } } }
  if (Object.keys(patch).length === 0) return undefined
  const changedAgents = new Set(listDrift(config, entries).map((drift) => drift.agentId))
  return { patch, changedAgents, sharedChange: "channels" in patch }
}

const fileEntries = (payload: unknown): ReadonlyMap<string, GatewayFileEntry> => {
  const files = isObject(payload) && Array.isArray(payload["files"]) ? payload["files"] : []
  const index = new Map<string, GatewayFileEntry>()
  for (const item of files) {
    if (!isObject(item)) continue
    const name = typeof item["name"] === "string" && item["name"] !== ""
      ? item["name"]
      : typeof item["path"] === "string" && item["path"] !== ""
      ? item["path"]
      : undefined
    if (name === undefined) continue
    index.set(name, {
      name,
      missing: item["missing"] === true,
      size: typeof item["size"] === "number" ? item["size"] : null,
      hash: typeof item["hash"] === "string" ? item["hash"] : null
    })
  }
  return index
}

const fileContent = (payload: unknown): Option.Option<{ readonly content: string; readonly hash: string | null }> => {
  if (typeof payload === "string") return Option.some({ content: payload, hash: null })
  if (!isObject(payload)) return Option.none()
  const file = isObject(payload["file"]) ? payload["file"] : payload
  if (file["missing"] === true || typeof file["content"] !== "string") return Option.none()
  return Option.some({ content: file["content"], hash: typeof file["hash"] === "string" ? file["hash"] : null })
}

const agentSummaries = (payload: unknown) =>
  objects(isObject(payload) ? payload["agents"] : payload).flatMap((item) =>
    typeof item["id"] === "string" && item["id"] !== ""
      ? [{
        id: item["id"],
        name: typeof item["name"] === "string" ? item["name"] : null,
        workspace: typeof item["workspace"] === "string" ? item["workspace"] : null
      }]
      : []
  )

const objects = (value: unknown): ReadonlyArray<Record<string, unknown>> =>
  Array.isArray(value) ? value.filter(isObject) : []

// `sessions.list` answers `{sessions: [...]}`; older gateways answered the array itself.
const sessionEntries = (payload: unknown) => objects(isObject(payload) ? payload["sessions"] : payload)

const historyMessages = (payload: unknown): ReadonlyArray<unknown> =>
  isObject(payload) ?
    (Array.isArray(payload["messages"]) ? payload["messages"] : []) :
    Array.isArray(payload)
    ? payload
    : []

// `sessions.patch` answers `{ok, key, entry: {...}}`; the entry, else the whole answer.
const sessionEntry = (payload: unknown): Record<string, unknown> =>
  isObject(payload) ? (isObject(payload["entry"]) ? payload["entry"] : payload) : {}

const lastTouchedVersion = (payload: unknown): string | null => {
  if (!isObject(payload)) return null
  for (const key of ["config", "parsed", "resolved"]) {
    const config = payload[key]
    const meta = isObject(config) && isObject(config["meta"]) ? config["meta"] : undefined
    const version = meta?.["lastTouchedVersion"]
    if (typeof version === "string" && version.trim() !== "") return version.trim()
  }
  return null
}

/** Options of a client; every field has a default. */
export interface ClientOptions {
  /** How concurrent `patchHeartbeats` calls wait out the gateway's `config.patch` limit. */
  readonly heartbeatPatches?: Partial<HeartbeatPatchOptions>
}

/** The core's `GatewayClient` over one gateway connection. */
export const makeClient = (connection: GatewayConnection, options: ClientOptions = {}): GatewayClient => {
  // Files the gateway refused, learned per connection.
  const refused = new Set<string>()
  const capabilities = Effect.map(connection.hello, (hello): GatewayCapabilities => {
    const modern = hello.protocol >= 4
    const writable = modern ?
      new Set([...protocol4WritableFiles].filter((name) => !refused.has(name))) :
      refused.size === 0
      ? null
      : new Set(
        ["AGENTS.md", "BOOTSTRAP.md", "HEARTBEAT.md", "IDENTITY.md", "MEMORY.md", "SOUL.md", "TOOLS.md", "USER.md"]
          .filter((name) => !refused.has(name))
      )
    return {
      writableFiles: writable,
      tokenFile: writable === null || writable.has("TOOLS.md") ? "TOOLS.md" : "AGENTS.md",
      serverVersion: hello.serverVersion,
      protocol: hello.protocol
    }
  })

  // One read-modify-write of the config per batch: concurrent patches would race on `baseHash`, and the gateway allows
  // a client 30 `config.patch` a minute (2026.4.1: 3), so concurrent callers share one (heartbeatPatches.ts).
  const applyHeartbeats = (
    entries: ReadonlyArray<HeartbeatEntry>
  ): Effect.Effect<HeartbeatPatchApplied, GatewayError> =>
    Effect.gen(function*() {
      const hello = yield* connection.hello
      const snapshot = yield* readConfig(connection)
      const planned = hasConfigEntries(snapshot.config, hello)
        ? entriesPatch(snapshot.config, entries)
        : listPatch(snapshot.config, entries)
      if (planned === undefined) return { patched: false, changedAgents: new Set<string>(), sharedChange: false }
      const params: Record<string, unknown> = { raw: JSON.stringify(planned.patch) }
      if (snapshot.hash !== null) params["baseHash"] = snapshot.hash
      yield* connection.request("config.patch", params)
      return { patched: true, changedAgents: planned.changedAgents, sharedChange: planned.sharedChange }
    })
  const patchHeartbeats = makeHeartbeatPatcher(applyHeartbeats, options.heartbeatPatches)

  return {
    capabilities,
    health: connection.request("health", {}),
    createAgent: ({ agentId, workspace }) =>
      connection.request("agents.create", { name: agentId, workspace }).pipe(Effect.flatMap((payload) => {
        const created = isObject(payload) && typeof payload["agentId"] === "string" ? payload["agentId"] : agentId
        return created === agentId
          ? Effect.void
          : Effect.fail(
            gatewayError("agents.create", "Rejected", `gateway created agent "${created}" instead of "${agentId}"`)
          )
      })),
    updateAgent: ({ agentId, name, workspace }) =>
      connection.request("agents.update", { agentId, name, workspace }).pipe(Effect.asVoid),
    deleteAgent: (agentId, { deleteFiles }) =>
      connection.request("agents.delete", { agentId, deleteFiles }).pipe(Effect.asVoid),
    listFiles: (agentId) => connection.request("agents.files.list", { agentId }).pipe(Effect.map(fileEntries)),
    readFile: (agentId, name) =>
      connection.request("agents.files.get", { agentId, name }).pipe(
        Effect.map(fileContent),
        Effect.tapError((error) => Effect.sync(() => error.reason === "UnsupportedFile" && refused.add(name)))
      ),
    writeFile: (agentId, name, content, options) =>
      Effect.flatMap(connection.hello, (hello) => {
        const expectedHash = options?.expectedHash ?? null
        // 2026.4 refuses the `expectedHash` key: only protocol 4 gateways get it.
        const params = expectedHash !== null && hello.protocol >= 4
          ? { agentId, name, content, expectedHash }
          : { agentId, name, content }
        return connection.request("agents.files.set", params)
      }).pipe(
        Effect.asVoid,
        Effect.tapError((error) => Effect.sync(() => error.reason === "UnsupportedFile" && refused.add(name)))
      ),
    listAgents: connection.request("agents.list", {}).pipe(Effect.map(agentSummaries)),
    heartbeatDrift: (entries) =>
      entries.length === 0 ? Effect.succeed([]) : Effect.gen(function*() {
        const hello = yield* connection.hello
        const snapshot = yield* readConfig(connection)
        return hasConfigEntries(snapshot.config, hello)
          ? entriesDrift(snapshot.config, entries)
          : listDrift(snapshot.config, entries)
      }),
    patchHeartbeats,
    ensureSession: (key, label) =>
      connection.request("sessions.patch", label === undefined ? { key } : { key, label }).pipe(
        Effect.map(sessionEntry)
      ),
    resetSession: (key) => connection.request("sessions.reset", { key }).pipe(Effect.asVoid),
    deleteSession: (key) => connection.request("sessions.delete", { key }).pipe(Effect.asVoid),
    sendChat: ({ sessionKey, message, deliver, idempotencyKey }) =>
      connection.request("chat.send", { sessionKey, message, deliver, idempotencyKey }).pipe(Effect.asVoid),
    listSessions: connection.request("sessions.list", {}).pipe(Effect.map(sessionEntries)),
    chatHistory: (sessionKey) => connection.request("chat.history", { sessionKey }).pipe(Effect.map(historyMessages)),
    catalog: Effect.map(connection.hello, (hello) => ({
      protocol: hello.protocol,
      methods: hello.methods,
      events: hello.events
    })),
    configVersion: connection.request("config.get", {}).pipe(Effect.map(lastTouchedVersion)),
    events: activityEvents(connection)
  }
}
