// Adopting agents that already exist on a gateway (the reference's PR #174, "link existing agents"): a gateway's
// agents discovered with what each is to Mission Control, one linked to a board as a managed agent that keeps its
// gateway id and workspace, and an agent unlinked: its record gone, the gateway agent and its files left alone.

import { Effect, Option, Schema } from "effect"
import { mainSessionKeyOf, normalizeIdentityProfile, workspacePath } from "../domain/identity.js"
import { AgentId, BoardId, GatewayId } from "../domain/ids.js"
import type { Board, Gateway, JsonObject, User } from "../domain/models.js"
import { Agent } from "../domain/models.js"
import { pendingAgent } from "../domain/pendingAgent.js"
import { Conflict, GatewayFailure, NotFound, Unprocessable } from "../errors.js"
import type { GatewayTimeout } from "../errors.js"
import { annotate, annotateAgent, AttributeKey, gatewayAttributes } from "../observability/attributes.js"
import { ActivityRepository } from "../services/ActivityRepository.js"
import { AgentLocks } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import type { GatewayAgentSummary, GatewayError } from "../services/GatewayControlPlane.js"
import { GatewayControlPlane } from "../services/GatewayControlPlane.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { TaskRepository } from "../services/TaskRepository.js"
import { Transactor } from "../services/Transactor.js"
import { Settings } from "../Settings.js"
import {
  gatewayTarget,
  requireAgentAccess,
  requireBoard,
  requireGateway,
  requireGatewayInOrganization,
  requireOrgAdmin
} from "./access.js"
import { findAgent } from "./agentRecords.js"
import { conflictOnDuplicate, newUuid, now, recordActivity, runToCompletion } from "./common.js"
import { ensureBelowWorkerLimit, ensureNoLead } from "./createAgent.js"
import { provisionAgentRecordLocked } from "./provisionAgentRecord.js"
import { addressOf } from "./reconcile/plan.js"
import { publicGatewayErrorText, retryTransient } from "./retry.js"

/**
 * What a gateway agent is to Mission Control: `managed`, an agent record of this gateway; `managed_elsewhere`, named
 * after a Mission Control record of another gateway row (or another record's former name); `orphan`, named as Mission
 * Control names its agents with no record (a crashed create, an unlinked agent); `foreign`, named otherwise (made on
 * the gateway itself). Orphans and foreign agents may be linked.
 */
export type DiscoveredAgentKind = "managed" | "managed_elsewhere" | "orphan" | "foreign"

/** A gateway agent, as `agents.list` gives it, with what it is to Mission Control. */
export interface DiscoveredAgent {
  readonly gatewayAgentId: string
  readonly name: string | null
  readonly workspace: string | null
  readonly kind: DiscoveredAgentKind
  /** The record managing it (`managed` only). */
  readonly agent: Agent | null
}

/** What linking a gateway agent asks for. */
export interface AgentLink {
  /** The agent's id on the gateway (`agents.list`'s `id`). */
  readonly gatewayAgentId: string
  /** A board of the agent's gateway. */
  readonly boardId: BoardId
  /** The agent's name in Mission Control. */
  readonly name: string
  /** Its identity profile's `role`. */
  readonly role: string | null
  readonly isBoardLead: boolean
  /** The gateway the agent was discovered on; when given, the board must be one of its boards. */
  readonly gatewayId: GatewayId | null
}

const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
const mainScheme = new RegExp(`^mc-gateway-(${uuid})$`, "i")
const leadScheme = new RegExp(`^lead-(${uuid})$`, "i")
const workerScheme = new RegExp(`^mc-(${uuid})$`, "i")

/**
 * For a gateway agent named as Mission Control names agents and not managed by a record of this gateway: whether its
 * name is another record's (`managed_elsewhere`) or nobody's (`orphan`). `undefined` for any other name.
 */
const ourNamingKind = Effect.fnUntraced(function*(gatewayAgentId: string, gateway: Gateway) {
  const main = mainScheme.exec(gatewayAgentId)?.[1]
  if (main !== undefined) {
    const id = Schema.decodeUnknownOption(GatewayId)(main)
    if (Option.isNone(id) || id.value.toLowerCase() === gateway.id.toLowerCase()) return "orphan" as const
    const other = yield* Effect.flatMap(GatewayRepository, (gateways) => gateways.findById(id.value))
    return Option.isSome(other) ? "managed_elsewhere" as const : "orphan" as const
  }
  const lead = leadScheme.exec(gatewayAgentId)?.[1]
  if (lead !== undefined) {
    const id = Schema.decodeUnknownOption(BoardId)(lead)
    if (Option.isNone(id)) return "orphan" as const
    const board = yield* Effect.flatMap(BoardRepository, (boards) => boards.findById(id.value))
    return Option.isSome(board) && board.value.gatewayId !== gateway.id
      ? "managed_elsewhere" as const
      : "orphan" as const
  }
  const worker = workerScheme.exec(gatewayAgentId)?.[1]
  if (worker !== undefined) {
    const id = Schema.decodeUnknownOption(AgentId)(worker)
    if (Option.isNone(id)) return "orphan" as const
    const record = yield* Effect.flatMap(AgentRepository, (agents) => agents.findById(id.value))
    return Option.isSome(record) ? "managed_elsewhere" as const : "orphan" as const
  }
  return undefined
})

/** The records of a gateway by the gateway agent id each is addressed with. */
const recordsByGatewayAgent = Effect.fnUntraced(function*(gateway: Gateway) {
  const records = yield* Effect.flatMap(AgentRepository, (agents) => agents.listByGateway(gateway.id))
  return new Map(records.map((agent) => [addressOf(agent, gateway).gatewayAgentId, agent]))
})

const classify = Effect.fnUntraced(function*(
  gateway: Gateway,
  listed: GatewayAgentSummary,
  records: ReadonlyMap<string, Agent>
) {
  const record = records.get(listed.id)
  const named = record === undefined ? yield* ourNamingKind(listed.id, gateway) : undefined
  const kind: DiscoveredAgentKind = record !== undefined ? "managed" : named === undefined ? "foreign" : named
  return {
    gatewayAgentId: listed.id,
    name: listed.name,
    workspace: listed.workspace,
    kind,
    agent: record ?? null
  } satisfies DiscoveredAgent
})

const fetchFailed = (error: GatewayError | GatewayTimeout) =>
  new GatewayFailure({ detail: `Failed to fetch agents from gateway: ${publicGatewayErrorText(error)}` })

/** `agents.list` of the gateway, transient errors retried; a failure is the reference's 502 (`fetchFailed`). */
const listGatewayAgents = Effect.fnUntraced(function*(gateway: Gateway) {
  const settings = yield* Settings
  const target = yield* gatewayTarget(gateway)
  const client = yield* Effect.flatMap(GatewayControlPlane, (controlPlane) => controlPlane.client(target))
  return yield* client.listAgents.pipe(
    retryTransient(settings.operationRetry),
    Effect.mapError(fetchFailed)
  )
})

/**
 * `GET /gateways/{gateway_id}/discover-agents`: every agent the gateway has, in its order, with what each is to
 * Mission Control. For org admins of the gateway's organization ("Gateway not found" for another's).
 */
export const discoverGatewayAgents = Effect.fn("discoverGatewayAgents")(function*(
  user: User | null,
  gatewayId: GatewayId
) {
  const context = yield* requireOrgAdmin(user)
  const gateway = yield* requireGatewayInOrganization(gatewayId, context)
  yield* annotate(gatewayAttributes(gateway))
  const listed = yield* listGatewayAgents(gateway)
  const records = yield* recordsByGatewayAgent(gateway)
  return yield* Effect.forEach(listed, (agent) => classify(gateway, agent, records))
})

const trimSlashes = (path: string): string => path.replace(/\/+$/, "")

/**
 * Whether the gateway keeps the agent's workspace where Mission Control addresses it: provisioning sends that path with
 * `agents.update`, which would move the agent to it. A root given with `~` matches the gateway's expansion of it; an
 * agent whose workspace the gateway does not list is not refused.
 */
const isManagedWorkspace = (listed: string | null, managed: string): boolean => {
  if (listed === null || listed.trim() === "") return true
  const actual = trimSlashes(listed.trim())
  const expected = trimSlashes(managed)
  if (actual === expected) return true
  return expected.startsWith("~/") && actual.startsWith("/") && actual.endsWith(expected.slice(1))
}

const alreadyLinked = (gatewayAgentId: string) =>
  new Conflict({ detail: `Agent '${gatewayAgentId}' is already linked to Mission Control` })

/** 409s for the name and lead rules, in `createAgent`'s words; workers count against the board's `max_agents`. */
const ensureBoardAccepts = Effect.fnUntraced(function*(board: Board, gateway: Gateway, link: AgentLink) {
  const agents = yield* AgentRepository
  const name = link.name.trim()
  if (Option.isSome(yield* agents.findByNameOnBoard(board.id, name))) {
    return yield* new Conflict({ detail: "An agent with this name already exists on this board." })
  }
  if (Option.isSome(yield* agents.findByNameInGateway(gateway.id, name))) {
    return yield* new Conflict({ detail: "An agent with this name already exists in this gateway workspace." })
  }
  return yield* link.isBoardLead ? ensureNoLead(board) : ensureBelowWorkerLimit(board)
})

/** The heartbeat settings the gateway holds for the agent, kept on adoption; null when it holds none. */
const heartbeatOnGateway = Effect.fnUntraced(function*(gateway: Gateway, gatewayAgentId: string, workspace: string) {
  const settings = yield* Settings
  const target = yield* gatewayTarget(gateway)
  const client = yield* Effect.flatMap(GatewayControlPlane, (controlPlane) => controlPlane.client(target))
  const drift = yield* client.heartbeatDrift([{ agentId: gatewayAgentId, workspace, heartbeat: {} }]).pipe(
    retryTransient(settings.operationRetry),
    Effect.mapError((error) =>
      new GatewayFailure({ detail: `Failed to read the gateway's config: ${publicGatewayErrorText(error)}` })
    )
  )
  const current: JsonObject | null = drift[0]?.current ?? null
  return current !== null && Object.keys(current).length > 0 ? current : null
})

/** The checks of a link that read the gateway, and the record it makes; under the link's locks. */
const linkOnBoard = Effect.fnUntraced(function*(board: Board, gateway: Gateway, user: User, link: AgentLink) {
  const gatewayAgentId = link.gatewayAgentId
  if ((yield* recordsByGatewayAgent(gateway)).has(gatewayAgentId)) return yield* alreadyLinked(gatewayAgentId)
  const listed = (yield* listGatewayAgents(gateway)).find((agent) => agent.id === gatewayAgentId)
  if (listed === undefined) {
    return yield* new NotFound({ detail: `Agent '${gatewayAgentId}' not found on gateway` })
  }
  if ((yield* ourNamingKind(gatewayAgentId, gateway)) === "managed_elsewhere") {
    return yield* alreadyLinked(gatewayAgentId)
  }
  const managedWorkspace = workspacePath(
    { openclawSessionId: null, name: link.name, adoptedGatewayAgentId: gatewayAgentId },
    gateway.workspaceRoot
  )
  if (managedWorkspace === undefined) return yield* new Unprocessable({ detail: "Gateway workspace_root is required" })
  if (!isManagedWorkspace(listed.workspace, managedWorkspace)) {
    return yield* new Unprocessable({
      detail: `Agent '${gatewayAgentId}' has its workspace at ${listed.workspace}, not at ${managedWorkspace} ` +
        "where Mission Control keeps the workspaces of this gateway (workspace_root)"
    })
  }
  yield* ensureBoardAccepts(board, gateway, link)
  const heartbeatConfig = yield* heartbeatOnGateway(gateway, gatewayAgentId, managedWorkspace)

  const agents = yield* AgentRepository
  const locks = yield* AgentLocks
  const id = yield* newUuid<AgentId>()
  const at = yield* now
  const agent = new Agent({
    ...pendingAgent({
      id,
      boardId: board.id,
      gatewayId: gateway.id,
      name: link.name.trim(),
      openclawSessionId: mainSessionKeyOf(gatewayAgentId),
      provisionAction: "update",
      isBoardLead: link.isBoardLead,
      heartbeatConfig,
      identityProfile: link.role === null ? null : normalizeIdentityProfile({ role: link.role })
    }, at),
    adoptedGatewayAgentId: gatewayAgentId
  })
  return yield* runToCompletion(
    locks.withLock(`agent/${id}`)(Effect.gen(function*() {
      yield* agents.insert(agent).pipe(conflictOnDuplicate)
      yield* recordActivity("agent.link", `Linked existing agent '${gatewayAgentId}' to board.`, id)
      // The row is committed: from here a database failure (or a defect) leaves the link pending, not a 5xx.
      const leftPending = (cause: unknown) =>
        Effect.as(
          Effect.logWarning("linkGatewayAgent: provisioning broke off after the agent was saved; left pending", cause),
          agent
        )
      return yield* provisionAgentRecordLocked(id, {
        action: "update",
        gateway,
        board,
        user,
        // The agent's conversation is its own: its session is woken, never reset.
        resetSession: false,
        wake: true,
        wakeupVerb: "linked to Mission Control"
      }).pipe(
        Effect.catchTag("DatabaseUnavailable", leftPending),
        Effect.catchDefect(leftPending)
      )
    }))
  )
})

/**
 * `POST /agents/link`: a gateway agent that Mission Control does not manage becomes an agent of a board of its
 * gateway, keeping its gateway id, session and workspace (`adoptedGatewayAgentId`). Its workspace is then brought under
 * management as an update provisions it: templates written (`USER.md` and `MEMORY.md` kept when the agent has them),
 * a token minted and written, its heartbeat settings (kept from the gateway when it has some) patched, its session
 * woken. For org admins with write access to the board.
 *
 * Refused: a board of another gateway than `gatewayId` (422), an agent already managed (409 "Agent '…' is already
 * linked to Mission Control"), one the gateway does not have (404 "Agent '…' not found on gateway"), a gateway agent
 * of Mission Control (422), a workspace elsewhere than Mission Control keeps this gateway's (422), and the name, lead
 * and `max_agents` rules of a create (409). Links of one gateway agent run one at a time.
 */
export const linkGatewayAgent = Effect.fn("linkGatewayAgent")(function*(user: User | null, link: AgentLink) {
  const context = yield* requireOrgAdmin(user)
  const board = yield* requireBoard(link.boardId, { user: context.user, write: true })
  if (link.gatewayId !== null) {
    const named = yield* requireGatewayInOrganization(link.gatewayId, context)
    if (board.gatewayId !== named.id) return yield* new Unprocessable({ detail: "Board belongs to another gateway" })
  }
  const { gateway } = yield* requireGateway(board)
  const gatewayAgentId = link.gatewayAgentId.trim()
  yield* annotate({ ...gatewayAttributes(gateway), [AttributeKey.boardId]: board.id })
  if (mainScheme.test(gatewayAgentId)) {
    return yield* new Unprocessable({ detail: "A gateway main agent cannot be linked to a board" })
  }
  const locks = yield* AgentLocks
  const trimmed = { ...link, gatewayAgentId }
  const linked = locks.withLock(`adopt/${gateway.id}/${gatewayAgentId}`)(
    link.isBoardLead
      ? linkOnBoard(board, gateway, context.user, trimmed)
      // Workers count against `max_agents`: one at a time per board, as a lead's creates are.
      : locks.withLock(`board-workers/${board.id}`)(linkOnBoard(board, gateway, context.user, trimmed))
  )
  return yield* linked
}, Effect.tap((agent) => annotateAgent(agent)))

/**
 * `POST /agents/{agent_id}/unlink`: the agent's record removed (with its tokens, which stop authenticating), its
 * tasks released and its activity detached, as a delete does; the gateway agent, its session and its files are left
 * as they are. The gateway agent is then an orphan for the reconciler (a foreign agent when it was adopted under a name
 * of its own), which deletes orphans only when asked to (`delete_orphans`). For org admins with write access to the
 * agent's board; a gateway main agent cannot be unlinked (422).
 */
export const unlinkAgent = Effect.fn("unlinkAgent")(function*(user: User | null, agentId: AgentId) {
  yield* annotate({ [AttributeKey.agentId]: agentId })
  const context = yield* requireOrgAdmin(user)
  const agent = yield* findAgent(agentId)
  yield* requireAgentAccess(agent, context, true)
  if (agent.boardId === null) {
    return yield* new Unprocessable({ detail: "A gateway main agent cannot be unlinked" })
  }
  const locks = yield* AgentLocks
  const agents = yield* AgentRepository
  const tasks = yield* TaskRepository
  const activity = yield* ActivityRepository
  const transactor = yield* Transactor
  yield* locks.withLock(`agent/${agent.id}`)(Effect.gen(function*() {
    // Unlinked meanwhile: as gone as the caller wanted it.
    if (Option.isNone(yield* agents.findById(agent.id))) return
    yield* transactor.withTransaction(Effect.gen(function*() {
      yield* recordActivity("agent.unlink", `Unlinked agent ${agent.name}; its gateway agent was kept.`, null)
      yield* tasks.releaseAgentTasks(agent.id, yield* now)
      yield* activity.detachAgent(agent.id)
      yield* agents.delete(agent.id)
    }))
  }))
})
