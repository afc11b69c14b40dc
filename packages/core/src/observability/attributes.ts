// The span and metric attributes an operator filters by. Ids and outcomes only: never a token, a secret or a payload.

import { Effect } from "effect"
import type { Tracer } from "effect"
import type { Agent, Board, Gateway } from "../domain/models.js"

/** Attribute keys of spans and metric series, after OpenTelemetry's semantic conventions where one exists. */
export const AttributeKey = {
  organizationId: "mission_control.organization.id",
  boardId: "mission_control.board.id",
  gatewayId: "mission_control.gateway.id",
  agentId: "mission_control.agent.id",
  /** An agent's computed status (`online`, `offline`, …) on the fleet gauge. */
  agentStatus: "mission_control.agent.status",
  /** `provision` or `update`. */
  provisionAction: "mission_control.provision.action",
  /** How a provisioning, a template sync, an agent's sync or a gateway call ended. */
  outcome: "mission_control.outcome",
  /** A template sync's summary: agents updated and skipped, problems reported. */
  syncAgentsUpdated: "mission_control.template_sync.agents_updated",
  syncAgentsSkipped: "mission_control.template_sync.agents_skipped",
  syncErrors: "mission_control.template_sync.errors",
  /** Agents a reconcile found with provisioning left pending. */
  reconcilePending: "mission_control.reconcile.pending",
  rpcSystem: "rpc.system",
  rpcMethod: "rpc.method",
  /** A failed gateway call's reason (`Timeout`, `NotFound`, …). */
  errorType: "error.type",
  serverAddress: "server.address",
  serverPort: "server.port"
} as const

/** The `rpc.system` of gateway calls. */
export const gatewayRpcSystem = "openclaw_gateway"

type Attributes = Record<string, string>

/** An agent's ids: its own, its gateway's and (for board agents) its board's. */
export const agentAttributes = (agent: Agent): Attributes =>
  agent.boardId === null
    ? { [AttributeKey.agentId]: agent.id, [AttributeKey.gatewayId]: agent.gatewayId }
    : {
      [AttributeKey.agentId]: agent.id,
      [AttributeKey.gatewayId]: agent.gatewayId,
      [AttributeKey.boardId]: agent.boardId
    }

/** A board's ids: its own, its organization's and its gateway's. */
export const boardAttributes = (board: Board): Attributes =>
  board.gatewayId === null
    ? { [AttributeKey.boardId]: board.id, [AttributeKey.organizationId]: board.organizationId }
    : {
      [AttributeKey.boardId]: board.id,
      [AttributeKey.organizationId]: board.organizationId,
      [AttributeKey.gatewayId]: board.gatewayId
    }

/** A gateway's ids: its own and its organization's. */
export const gatewayAttributes = (gateway: Gateway): Attributes => ({
  [AttributeKey.gatewayId]: gateway.id,
  [AttributeKey.organizationId]: gateway.organizationId
})

/**
 * Adds attributes to the current span (the program's own, or the request's for programs without one), in one step
 * of the run loop.
 */
export const annotate = (attributes: Readonly<Record<string, string | number>>): Effect.Effect<void> =>
  Effect.withFiberSucceed((fiber) => {
    const span = fiber.cache.span
    if (span?._tag !== "Span") return
    for (const key in attributes) span.attribute(key, attributes[key])
  })

const setAgentAttributes = (span: Tracer.Span, agent: Agent): void => {
  span.attribute(AttributeKey.agentId, agent.id)
  span.attribute(AttributeKey.gatewayId, agent.gatewayId)
  if (agent.boardId !== null) span.attribute(AttributeKey.boardId, agent.boardId)
}

/**
 * An agent's ids on the current span, in one step and without building an object: for the programs every agent
 * request runs, which carry no span of their own and annotate the request's span instead.
 */
export const annotateAgent = (agent: Agent): Effect.Effect<void> =>
  Effect.withFiberSucceed((fiber) => {
    const span = fiber.cache.span
    if (span?._tag === "Span") setAgentAttributes(span, agent)
  })
