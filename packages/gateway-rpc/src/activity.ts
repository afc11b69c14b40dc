// Agents' activity read from the gateway's own events, in the shapes gateway 2026.9.6 sends them:
//   health  {…, agents: [{agentId, sessions: {count, recent: [{key, updatedAt, age}]}}]}  every 60 s and on changes
//   agent   {runId, seq, stream, ts, data, sessionKey?, agentId?, isHeartbeat?}              live, per run
//   chat    {runId, sessionKey, agentId?, seq, state, message?: {timestamp}, errorMessage?} live, per run
// Anything else, or any field of another type, shows no activity: a frame is never an error.

import type { GatewayActivity, GatewayError } from "@mission-control/core"
import type { Duration } from "effect"
import { Cause, Clock, DateTime, Effect, Schedule, Stream } from "effect"
import type { GatewayConnection } from "./GatewayConnection.js"
import type { EventFrame } from "./protocol.js"
import { isObject } from "./protocol.js"

/** The gateway agent id of a session key `agent:<id>:<rest>`, lower-cased as the gateway normalises ids. */
export const agentIdOfSessionKey = (key: unknown): string | undefined => {
  if (typeof key !== "string") return undefined
  const id = /^agent:([^:]+):/i.exec(key.trim())?.[1]?.trim().toLowerCase()
  return id === undefined || id === "" ? undefined : id
}

const agentIdField = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value.trim().toLowerCase() : undefined

const epochMillis = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined

// A run's agent: the one its session key names; the payload's `agentId` when the key is no agent's (`global`).
const runAgentId = (payload: Record<string, unknown>): string | undefined =>
  agentIdOfSessionKey(payload["sessionKey"]) ?? agentIdField(payload["agentId"])

// `agent` streams that show no work by the agent: a run starting (our own wakeup starts one) or retrying its model
// (`run_status`), a run that failed, and the gateway's own seq-gap notice (`error`). A run that ended counts.
const isAgentOutput = (payload: Record<string, unknown>): boolean => {
  const stream = payload["stream"]
  if (typeof stream !== "string" || stream === "") return false
  if (stream === "lifecycle") return isObject(payload["data"]) && payload["data"]["phase"] === "end"
  return stream !== "error" && stream !== "run_status"
}

// `chat` states with a reply: streamed text and the final message; not `error`, `aborted` or `status`.
const chatReplyStates: ReadonlySet<unknown> = new Set(["delta", "final"])

const activityAt = (agentId: string, millis: number, receivedAt: number, kind: GatewayActivity["kind"]) => ({
  agentId,
  // Never later than the frame's arrival: a gateway clock ahead of ours must not date activity in the future.
  at: DateTime.makeUnsafe(Math.min(millis, receivedAt)),
  kind
})

const healthActivity = (payload: Record<string, unknown>, receivedAt: number): ReadonlyArray<GatewayActivity> => {
  const agents = Array.isArray(payload["agents"]) ? payload["agents"] : []
  const found: Array<GatewayActivity> = []
  for (const entry of agents) {
    if (!isObject(entry)) continue
    const agentId = agentIdField(entry["agentId"])
    const sessions = isObject(entry["sessions"]) ? entry["sessions"] : {}
    const recent = Array.isArray(sessions["recent"]) ? sessions["recent"] : []
    let newest: number | undefined
    for (const session of recent) {
      const updatedAt = isObject(session) ? epochMillis(session["updatedAt"]) : undefined
      if (updatedAt !== undefined && (newest === undefined || updatedAt > newest)) newest = updatedAt
    }
    if (agentId !== undefined && newest !== undefined) found.push(activityAt(agentId, newest, receivedAt, "health"))
  }
  return found
}

/**
 * The activity an event frame shows (`receivedAt`: when it arrived, ms): for `health`, each agent with a session and
 * the time its newest session was updated; for `agent`, run output (a run that ended included) at the event's `ts`;
 * for `chat`, a reply streamed or finished, at its message's `timestamp`. Times are the gateway's, never after
 * `receivedAt`, which stands in for a missing one. Any other event or shape shows none.
 */
export const decodeActivity = (frame: EventFrame, receivedAt: number): ReadonlyArray<GatewayActivity> => {
  const payload = frame.payload
  if (!isObject(payload)) return []
  if (frame.event === "health") return healthActivity(payload, receivedAt)
  if (frame.event === "agent") {
    const agentId = runAgentId(payload)
    if (agentId === undefined || !isAgentOutput(payload)) return []
    return [activityAt(agentId, epochMillis(payload["ts"]) ?? receivedAt, receivedAt, "agent")]
  }
  if (frame.event === "chat") {
    const agentId = runAgentId(payload)
    if (agentId === undefined || !chatReplyStates.has(payload["state"])) return []
    const message = isObject(payload["message"]) ? payload["message"] : {}
    return [activityAt(agentId, epochMillis(message["timestamp"]) ?? receivedAt, receivedAt, "chat")]
  }
  return []
}

/** Options of `activityEvents`. */
export interface ActivityEventsOptions {
  /** How often the subscription checks the connection is up, reconnecting it when needed. Default 30 s. */
  readonly keepAliveInterval?: Duration.Input | undefined
}

/**
 * The connection's events as agents' activity (`decodeActivity`), for as long as the stream runs. Running it
 * connects, and then checks the connection every `keepAliveInterval`: a gateway that cannot be reached fails the
 * stream (`GatewayError`); reconnects of the same connection go unnoticed; a connection closed for good ends it.
 */
export const activityEvents = (
  connection: GatewayConnection,
  options: ActivityEventsOptions = {}
): Stream.Stream<GatewayActivity, GatewayError> => {
  const activity = connection.events.pipe(
    // The connection's event hub shuts down with the connection, which interrupts the taker: an end, for us.
    Stream.catchCause((cause) => Cause.hasInterruptsOnly(cause) ? Stream.empty : Stream.failCause(cause)),
    Stream.mapEffect((frame) => Effect.map(Clock.currentTimeMillis, (now) => decodeActivity(frame, now))),
    Stream.flattenIterable
  )
  const keepConnected = Stream.fromEffectDrain(
    connection.hello.pipe(Effect.repeat(Schedule.spaced(options.keepAliveInterval ?? "30 seconds")))
  )
  return Stream.merge(activity, keepConnected, { haltStrategy: "left" })
}
