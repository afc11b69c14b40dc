import { DateTime, Duration } from "effect"
import type { AgentId, BoardId, GatewayId } from "./ids.js"
import type { Agent, IdentityProfile, JsonObject } from "./models.js"

/** Heartbeat settings an agent gets when none are stored. */
export const defaultHeartbeatConfig = (): JsonObject => ({ every: "10m", target: "none", includeReasoning: false })

/** An agent without a readable `heartbeat_config.every` is shown `offline` when last seen longer ago than this. */
export const offlineAfter = Duration.minutes(10)
const offlineAfterMillis = Duration.toMillis(offlineAfter)

const durationUnitMillis: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const durationPart = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy

/**
 * Milliseconds of a gateway duration such as `10m`, `90s`, `1h30m` (a bare number is minutes, as the gateway reads
 * it); `undefined` for anything else.
 */
export const parseGatewayDuration = (text: string): number | undefined => {
  const trimmed = text.trim().toLowerCase()
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * durationUnitMillis.m!
  durationPart.lastIndex = 0
  let total = 0
  let end = 0
  for (let match = durationPart.exec(trimmed); match !== null; match = durationPart.exec(trimmed)) {
    total += Number(match[1]) * durationUnitMillis[match[2]!]!
    end = durationPart.lastIndex
  }
  return end === 0 || end !== trimmed.length || total <= 0 ? undefined : total
}

// Every page and stream event computes statuses: a fleet has a handful of distinct `every` values.
const silenceLimits = new Map<string, number>()

/**
 * How long an agent may stay silent before it is shown `offline`: one and a half of its heartbeat interval
 * (`heartbeat_config.every`), else ten minutes.
 */
export const offlineAfterMillisOf = (heartbeatConfig: JsonObject | null): number => {
  const every = heartbeatConfig?.["every"]
  if (typeof every !== "string") return offlineAfterMillis
  let limit = silenceLimits.get(every)
  if (limit === undefined) {
    const interval = parseGatewayDuration(every)
    limit = interval === undefined ? offlineAfterMillis : interval * 1.5
    if (silenceLimits.size < 1_000) silenceLimits.set(every, limit)
  }
  return limit
}

/** Identity of a board worker or gateway agent when the record has none. */
export const defaultIdentityProfile: IdentityProfile = {
  role: "Generalist",
  communication_style: "direct, concise, practical",
  emoji: ":gear:"
}

/** Identity of a new board lead before overrides. */
export const leadIdentityProfile: IdentityProfile = { ...defaultIdentityProfile, role: "Board Lead" }

/** Identity of a new gateway-main agent. */
export const gatewayMainIdentityProfile: IdentityProfile = {
  role: "Gateway Agent",
  communication_style: "direct, concise, practical",
  emoji: ":compass:"
}

/** Name of a new board lead when the caller gives none. */
export const defaultLeadName = "Lead Agent"

/** Name of the gateway-main agent of a gateway. */
export const gatewayMainAgentName = (gatewayName: string): string => `${gatewayName} Gateway Agent`

/** Gateway agent id of the gateway-main agent: `mc-gateway-<gateway>`. */
export const gatewayMainAgentKey = (gatewayId: GatewayId): string => `mc-gateway-${gatewayId}`

/** Session key of the gateway-main agent: `agent:mc-gateway-<gateway>:main`. */
export const gatewayMainSessionKey = (gatewayId: GatewayId): string => `agent:mc-gateway-${gatewayId}:main`

/** Session key of the lead of a board: `agent:lead-<board>:main`. */
export const leadSessionKey = (boardId: BoardId): string => `agent:lead-${boardId}:main`

/** Session key of a board worker: `agent:mc-<agent>:main`. */
export const workerSessionKey = (agentId: AgentId): string => `agent:mc-${agentId}:main`

/** The main session key of a gateway agent: `agent:<key>:main`. */
export const mainSessionKeyOf = (gatewayAgentId: string): string => `agent:${gatewayAgentId}:main`

/**
 * The session key of a board agent (lead or worker): an adopted agent's main session, else the deterministic key of
 * its role.
 */
export const boardScopedSessionKey = (
  agent: {
    readonly id: AgentId
    readonly boardId: BoardId | null
    readonly isBoardLead: boolean
    readonly adoptedGatewayAgentId?: string | null | undefined
  }
): string => {
  const adopted = agent.adoptedGatewayAgentId ?? ""
  if (adopted !== "") return mainSessionKeyOf(adopted)
  return agent.isBoardLead && agent.boardId !== null ? leadSessionKey(agent.boardId) : workerSessionKey(agent.id)
}

const randomHex = (): string => globalThis.crypto.randomUUID().replace(/-/g, "")

/** Lower-case, runs outside `a-z0-9` become `-`, trimmed of `-`; an empty result becomes a random hex id. */
export const slugify = (value: string, fallback: () => string = randomHex): string => {
  const slug = value.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")
  return slug === "" ? fallback() : slug
}

/**
 * The gateway agent id of an agent: the id an adopted agent kept, else the second part of an `agent:<key>:…` session
 * key, else the slug of its name.
 */
export const agentKey = (
  agent: {
    readonly openclawSessionId: string | null
    readonly name: string
    readonly adoptedGatewayAgentId?: string | null | undefined
  }
): string => {
  const adopted = agent.adoptedGatewayAgentId ?? ""
  if (adopted !== "") return adopted
  const session = agent.openclawSessionId ?? ""
  if (session.startsWith("agent:")) {
    const parts = session.split(":")
    const key = parts[1]
    if (parts.length >= 2 && key !== undefined && key !== "") return key
  }
  return slugify(agent.name)
}

/** The gateway agent id used to address an agent on its gateway. */
export const gatewayAgentIdOf = (agent: Agent): string =>
  agent.boardId === null ? gatewayMainAgentKey(agent.gatewayId) : agentKey(agent)

/**
 * The workspace directory of an agent on its gateway: `<root>/workspace-<slug(key)>`, where a leading `mc-` of a
 * `mc-gateway-…` key is dropped. Returns `undefined` when the root is blank.
 */
export const workspacePath = (
  agent: {
    readonly openclawSessionId: string | null
    readonly name: string
    readonly adoptedGatewayAgentId?: string | null | undefined
  },
  workspaceRoot: string
): string | undefined => {
  if (workspaceRoot.trim() === "") return undefined
  const root = workspaceRoot.replace(/\/+$/, "")
  const key = agentKey(agent)
  const dirKey = key.startsWith("mc-gateway-") ? key.slice(3) : key
  return `${root}/workspace-${slugify(dirKey)}`
}

/** The status an agent is shown with at `now` (see the spec's computed status). */
export const computedStatus = (
  agent: {
    readonly status: string
    readonly lastSeenAt: DateTime.Utc | null
    readonly heartbeatConfig: JsonObject | null
  },
  now: DateTime.Utc
): string => {
  if (agent.status === "deleting" || agent.status === "updating") return agent.status
  // Never seen: still provisioning, unless the check-in gave up on it (`offline`, its reason kept).
  if (agent.lastSeenAt === null) return agent.status === "offline" ? "offline" : "provisioning"
  // Milliseconds, not Durations: this runs for every agent of every page and every stream event.
  const silenceMillis = DateTime.toEpochMillis(now) - DateTime.toEpochMillis(agent.lastSeenAt)
  return silenceMillis > offlineAfterMillisOf(agent.heartbeatConfig) ? "offline" : agent.status
}

/** Heartbeat settings sent to the gateway: defaults overlaid with the agent's own. */
export const effectiveHeartbeat = (agent: { readonly heartbeatConfig: JsonObject | null }): JsonObject => ({
  ...defaultHeartbeatConfig(),
  ...(agent.heartbeatConfig ?? {})
})

const stringifyProfileValue = (value: unknown): string | undefined => {
  if (value === null || value === undefined) return undefined
  if (Array.isArray(value)) {
    const items = value.map((item) => String(item).trim()).filter((item) => item !== "")
    return items.length === 0 ? undefined : items.join(", ")
  }
  if (typeof value === "boolean") return value ? "True" : "False"
  const text = (typeof value === "object" ? JSON.stringify(value) : String(value)).trim()
  return text === "" ? undefined : text
}

/** Normalises an identity profile: non-objects and empty results become `null`; values trimmed, blanks dropped. */
export const normalizeIdentityProfile = (value: unknown): IdentityProfile | null => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null
  const result: Record<string, string> = {}
  for (const [rawKey, rawValue] of Object.entries(value)) {
    const key = rawKey.trim()
    if (key === "") continue
    const text = stringifyProfileValue(rawValue)
    if (text !== undefined) result[key] = text
  }
  return Object.keys(result).length === 0 ? null : result
}

/** Trims a template override; blank becomes `null`. */
export const normalizeTemplateText = (value: string | null | undefined): string | null => {
  if (value === null || value === undefined) return null
  const trimmed = value.trim()
  return trimmed === "" ? null : trimmed
}

/** Parses `KEY=value` lines (keys `[A-Z0-9_]+`); blank and `#` lines are skipped, later keys win. */
export const parseKeyValueLines = (content: string): ReadonlyMap<string, string> => {
  const values = new Map<string, string>()
  for (const rawLine of content.split(/\r?\n/)) {
    const line = rawLine.trim()
    if (line === "" || line.startsWith("#")) continue
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line)
    if (match !== null && match[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2].trim())
  }
  return values
}
