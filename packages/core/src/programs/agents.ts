import { Effect, Option } from "effect"
import {
  boardScopedSessionKey,
  defaultHeartbeatConfig,
  gatewayMainSessionKey,
  normalizeIdentityProfile,
  normalizeTemplateText,
  workerSessionKey
} from "../domain/identity.js"
import type { ActivityEventId, AgentId, BoardId, GatewayId } from "../domain/ids.js"
import type { Board, Gateway, User } from "../domain/models.js"
import { ActivityEvent, Agent } from "../domain/models.js"
import type { AgentCreate, AgentHeartbeatCreate, AgentUpdate, OkResponse, PageResult } from "../domain/wire.js"
import { toAgentRead } from "../domain/wire.js"
import type { AgentRead } from "../domain/wire.js"
import { Conflict, Forbidden, NotFound, reason, Unprocessable } from "../errors.js"
import { AgentLocks } from "../services/AgentLocks.js"
import type { AgentPatch, DuplicateAgent } from "../services/AgentRepository.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import {
  hasBoardAccess,
  listAccessibleBoardIds,
  requireAgentAccess,
  requireBoard,
  requireGateway,
  requireOrgAdmin,
  requireUserContext
} from "./access.js"
import type { Actor } from "./common.js"
import { catchDuplicate, dieOnDuplicate, newUuid, now, orFail } from "./common.js"
import { deleteAgentRecord } from "./deleteAgent.js"
import { provisionAgentRecord, provisionAgentRecordLocked, runToCompletion } from "./provisionRecord.js"

const forbidden = () => new Forbidden({ detail: reason.forbidden })
const notFound = () => new NotFound({ detail: reason.notFound })

/** The conflict a duplicate-agent write means to an API caller. */
export const duplicateToConflict = (error: DuplicateAgent): Conflict => {
  switch (error.constraint) {
    case "board_name":
      return new Conflict({ detail: "An agent with this name already exists on this board." })
    case "board_lead":
      return new Conflict({ detail: "This board already has a lead agent." })
    case "gateway_main":
      return new Conflict({ detail: "This gateway already has a gateway agent." })
    case "token_digest":
      return new Conflict({ detail: "Agent token collision; retry." })
  }
}

/** `effect` with its `DuplicateAgent` failures as the reference's 409s; other failures pass through. */
export const conflictOnDuplicate = <A, E, R>(
  effect: Effect.Effect<A, E | DuplicateAgent, R>
): Effect.Effect<A, Exclude<E, DuplicateAgent> | Conflict, R> =>
  catchDuplicate(effect, (error) => Effect.fail(duplicateToConflict(error)))

const readAgent = (agent: Agent) => now.pipe(Effect.map((at) => toAgentRead(agent, at)))

const findAgent = (id: AgentId) =>
  Effect.flatMap(AgentRepository, (agents) => agents.findById(id)).pipe(Effect.flatMap(orFail(notFound)))

/** Query of `listAgents`. */
export interface ListAgentsQuery {
  readonly boardId?: BoardId | undefined
  readonly gatewayId?: GatewayId | undefined
  readonly limit: number
  readonly offset: number
}

/** The boards whose agents a listing may show, and the gateways whose main agents it may show. */
interface Visible {
  readonly readable: ReadonlyArray<BoardId>
  readonly mainGatewayIds: ReadonlyArray<GatewayId>
}

/** Agents an org admin may see, newest first: board agents of readable boards and the org's gateway-main agents. */
export const listAgents = Effect.fn("listAgents")(function*(user: User | null, query: ListAgentsQuery) {
  const gateways = yield* GatewayRepository
  const boards = yield* BoardRepository
  const agents = yield* AgentRepository
  const pageRequest = { limit: query.limit, offset: query.offset }
  const boardId = query.boardId
  const oneBoard = (id: BoardId): Visible => ({ readable: [id], mainGatewayIds: [] })
  // Who may see what: the caller's organization, then the one board asked for, or every readable board and the
  // organization's gateways (both reads at once).
  const visibility = Effect.gen(function*() {
    const context = yield* requireOrgAdmin(user)
    let visible: Visible
    if (boardId !== undefined) {
      const board = yield* boards.findById(boardId)
      if (Option.isNone(board)) return yield* forbidden()
      const readable = yield* hasBoardAccess(context.member, board.value, false)
      if (!readable) return yield* forbidden()
      visible = oneBoard(boardId)
    } else {
      const [readable, mainGatewayIds] = yield* Effect.all([
        listAccessibleBoardIds(context.member, false),
        gateways.listIdsByOrganization(context.organization.id)
      ], { concurrency: 2 })
      visible = { readable, mainGatewayIds }
    }
    if (query.gatewayId !== undefined) {
      const gateway = yield* gateways.findById(query.gatewayId)
      if (Option.isNone(gateway) || gateway.value.organizationId !== context.organization.id) return yield* notFound()
    }
    return visible
  })
  const listVisible = (visible: Visible) =>
    agents.list(
      {
        visibleBoardIds: visible.readable,
        visibleMainGatewayIds: visible.mainGatewayIds,
        boardId: query.boardId,
        gatewayId: query.gatewayId
      },
      pageRequest
    )
  // One board asked for: its page does not depend on the visibility reads, so it is read alongside them and returned
  // only if they allow it (a refusal interrupts the read). A request then waits for the slowest read, not their sum.
  const read = boardId === undefined
    ? Effect.flatMap(visibility, listVisible)
    : Effect.map(Effect.all([visibility, listVisible(oneBoard(boardId))], { concurrency: 2 }), ([, page]) => page)
  const page = yield* read
  const at = yield* now
  return {
    items: page.items.map((agent) => toAgentRead(agent, at)),
    total: page.total,
    limit: query.limit,
    offset: query.offset
  } satisfies PageResult<AgentRead>
})

/** One agent, for an org admin with read access to it. */
export const getAgent = Effect.fn("getAgent")(function*(user: User | null, agentId: AgentId) {
  const context = yield* requireOrgAdmin(user)
  const agent = yield* findAgent(agentId)
  yield* requireAgentAccess(agent, context, false)
  return yield* readAgent(agent)
})

/** The board an actor may create agents on: a user's (with write access) or a lead agent's own. */
const resolveCreateBoard = Effect.fnUntraced(function*(actor: Actor, requested: BoardId | null) {
  if (actor._tag === "User") {
    yield* requireOrgAdmin(actor.user)
    return yield* requireBoard(requested, { user: actor.user, write: true })
  }
  const lead = actor.agent
  if (!lead.isBoardLead) return yield* new Forbidden({ detail: "Only board leads can create agents" })
  if (lead.boardId === null) return yield* new Forbidden({ detail: "Board lead must be assigned to a board" })
  if (requested !== null && requested !== lead.boardId) {
    return yield* new Forbidden({ detail: "Board leads can only create agents in their own board" })
  }
  return yield* requireBoard(lead.boardId)
})

/** Fails 409 when the name is taken on the board or anywhere on the gateway (exact match ignoring case). */
const ensureUniqueName = Effect.fnUntraced(function*(board: Board, gateway: Gateway, name: string) {
  const trimmed = name.trim()
  if (trimmed === "") return
  const agents = yield* AgentRepository
  if (Option.isSome(yield* agents.findByNameOnBoard(board.id, trimmed))) {
    return yield* new Conflict({ detail: "An agent with this name already exists on this board." })
  }
  if (Option.isSome(yield* agents.findByNameInGateway(gateway.id, trimmed))) {
    return yield* new Conflict({ detail: "An agent with this name already exists in this gateway workspace." })
  }
})

type AgentFields = Pick<Agent, "name" | "heartbeatConfig" | "identityProfile" | "identityTemplate" | "soulTemplate">

/** Inserts a new board agent, pending provisioning. */
const insertBoardAgent = Effect.fnUntraced(function*(
  board: Board,
  gateway: Gateway,
  fields: AgentFields,
  id?: AgentId
) {
  const agents = yield* AgentRepository
  if (id === undefined) id = yield* newUuid<AgentId>()
  const at = yield* now
  const agent = new Agent({
    id,
    boardId: board.id,
    gatewayId: gateway.id,
    name: fields.name,
    status: "provisioning",
    openclawSessionId: workerSessionKey(id),
    agentTokenDigest: null,
    heartbeatConfig: fields.heartbeatConfig ?? defaultHeartbeatConfig(),
    identityProfile: fields.identityProfile,
    identityTemplate: fields.identityTemplate,
    soulTemplate: fields.soulTemplate,
    provisionRequestedAt: at,
    provisionConfirmTokenHash: null,
    provisionAction: "provision",
    lastProvisionError: null,
    deleteRequestedAt: null,
    deleteConfirmTokenHash: null,
    lastSeenAt: null,
    isBoardLead: false,
    createdAt: at,
    updatedAt: at
  })
  yield* agents.insert(agent).pipe(conflictOnDuplicate)
  return agent
})

/**
 * A create that was never completed: provisioning requested, never finished, the agent never seen. Only meaningful
 * under the agent's lock, which a create holds from before its insert to the end of its provisioning.
 */
const isAbandonedCreate = (agent: Agent): boolean =>
  agent.provisionAction === "provision" && agent.lastSeenAt === null && agent.boardId !== null

/**
 * Creates a board agent and provisions it. Users must be org admins with write access to the board; agents must be
 * the board's lead (the board is forced to the lead's own). The response shows `provisioning` until the first
 * heartbeat.
 *
 * A create is safe to retry. The agent's lock is taken before its row is inserted and held while it is provisioned,
 * so another create of the same name either waits for it (and then gets 409) or finds it abandoned (a failed or
 * interrupted earlier create): that one is taken over and provisioned with this request's fields, never answered
 * with a 409 for the caller's own half-created agent. Once the row is in the database the create succeeds from the
 * caller's view even when the database fails afterwards: the agent is answered as `provisioning`, its pending
 * provisioning recorded, for `reconcilePendingProvisioning` to finish.
 */
export const createAgent = Effect.fn("createAgent")(function*(actor: Actor, payload: AgentCreate) {
  const board = yield* resolveCreateBoard(actor, payload.boardId)
  const { gateway } = yield* requireGateway(board)
  const agents = yield* AgentRepository
  const locks = yield* AgentLocks
  const fields: AgentFields = {
    name: payload.name,
    heartbeatConfig: payload.heartbeatConfig,
    identityProfile: normalizeIdentityProfile(payload.identityProfile),
    identityTemplate: normalizeTemplateText(payload.identityTemplate),
    soulTemplate: normalizeTemplateText(payload.soulTemplate)
  }
  const request = {
    action: "provision",
    gateway,
    board,
    user: actor._tag === "User" ? actor.user : null,
    resetSession: true
  } as const

  const twin = yield* agents.findByNameOnBoard(board.id, payload.name.trim())
  if (Option.isSome(twin) && isAbandonedCreate(twin.value)) {
    const adopted = yield* runToCompletion(
      locks.withLock(`agent/${twin.value.id}`)(Effect.gen(function*() {
        const current = yield* agents.findById(twin.value.id)
        if (Option.isNone(current) || !isAbandonedCreate(current.value)) return Option.none<Agent>()
        yield* agents.update(current.value.id, {
          ...fields,
          heartbeatConfig: fields.heartbeatConfig ?? current.value.heartbeatConfig,
          updatedAt: yield* now
        }).pipe(conflictOnDuplicate)
        return Option.some(yield* provisionAgentRecordLocked(current.value.id, request))
      }))
    )
    if (Option.isSome(adopted)) return yield* readAgent(adopted.value)
  }

  yield* ensureUniqueName(board, gateway, payload.name)
  const id = yield* newUuid<AgentId>()
  return yield* runToCompletion(
    locks.withLock(`agent/${id}`)(Effect.gen(function*() {
      const agent = yield* insertBoardAgent(board, gateway, fields, id)
      // The row is committed: from here the database failing (or a defect) leaves the agent pending, not a 5xx.
      const leftPending = (cause: unknown) =>
        Effect.as(
          Effect.logWarning("createAgent: provisioning broke off after the agent was saved; left pending", cause),
          agent
        )
      const provisioned = yield* provisionAgentRecordLocked(agent.id, request).pipe(
        Effect.catchTag("DatabaseUnavailable", leftPending),
        Effect.catchDefect(leftPending)
      )
      return yield* readAgent(provisioned)
    }))
  )
})

/** Options of `updateAgent`. */
export interface UpdateAgentOptions {
  /** Re-provision even when nothing changed; also rewrites BOOTSTRAP.md. */
  readonly force: boolean
}

const hasFieldUpdates = (payload: AgentUpdate): boolean =>
  payload.boardId !== undefined || payload.name !== undefined || payload.heartbeatConfig !== undefined ||
  payload.identityProfile !== undefined || payload.identityTemplate !== undefined || payload.soulTemplate !== undefined

/**
 * Changes an agent and re-provisions it with a fresh token. `status` is the agent's own (403); `is_gateway_main`
 * converts between a board agent and the gateway-main agent.
 */
export const updateAgent = Effect.fn("updateAgent")(function*(
  user: User | null,
  agentId: AgentId,
  payload: AgentUpdate,
  options: UpdateAgentOptions
) {
  const context = yield* requireOrgAdmin(user)
  const agent = yield* findAgent(agentId)
  yield* requireAgentAccess(agent, context, true)
  const makeMain = payload.isGatewayMain ?? null
  if (payload.status !== undefined) return yield* new Forbidden({ detail: "status is controlled by agent heartbeat" })
  if (payload.boardId !== undefined && payload.boardId !== null) {
    const board = yield* requireBoard(payload.boardId)
    if (board.organizationId !== context.organization.id) return yield* notFound()
    if (!(yield* hasBoardAccess(context.member, board, true))) return yield* forbidden()
  }
  if (!hasFieldUpdates(payload) && !options.force && makeMain === null) return yield* readAgent(agent)

  const gateways = yield* GatewayRepository
  const wasMain = agent.boardId === null
  const patch: { -readonly [K in keyof AgentPatch]: AgentPatch[K] } = {}
  if (payload.name !== undefined) patch.name = payload.name
  if (payload.heartbeatConfig !== undefined) patch.heartbeatConfig = payload.heartbeatConfig
  if (payload.identityProfile !== undefined) patch.identityProfile = normalizeIdentityProfile(payload.identityProfile)
  if (payload.identityTemplate !== undefined) patch.identityTemplate = normalizeTemplateText(payload.identityTemplate)
  if (payload.soulTemplate !== undefined) patch.soulTemplate = normalizeTemplateText(payload.soulTemplate)

  let target: { readonly gateway: Gateway; readonly board: Board | null }
  if (makeMain === true) {
    const board = yield* requireBoard(payload.boardId ?? agent.boardId)
    const { gateway } = yield* requireGateway(board)
    Object.assign(patch, {
      boardId: null,
      gatewayId: gateway.id,
      isBoardLead: false,
      openclawSessionId: gatewayMainSessionKey(gateway.id)
    })
    target = { gateway, board: null }
  } else if (makeMain === false || (payload.boardId !== undefined && !wasMain)) {
    if (payload.boardId === undefined || payload.boardId === null) {
      return yield* new Unprocessable({
        detail: makeMain === false
          ? "board_id is required when converting a gateway-main agent to board scope"
          : "board_id is required"
      })
    }
    const board = yield* requireBoard(payload.boardId)
    const { gateway } = yield* requireGateway(board)
    const moved = { id: agent.id, boardId: board.id, isBoardLead: makeMain === false ? false : agent.isBoardLead }
    Object.assign(patch, {
      boardId: board.id,
      gatewayId: gateway.id,
      isBoardLead: moved.isBoardLead,
      openclawSessionId: boardScopedSessionKey(moved)
    })
    target = { gateway, board }
  } else if (wasMain) {
    // A gateway-main agent stays one unless `is_gateway_main: false` says otherwise.
    const gateway = yield* gateways.findById(agent.gatewayId).pipe(
      Effect.flatMap(orFail(() => new Unprocessable({ detail: "Gateway agent requires a gateway configuration" })))
    )
    target = { gateway, board: null }
  } else {
    const board = yield* requireBoard(agent.boardId)
    const { gateway } = yield* requireGateway(board)
    target = { gateway, board }
  }

  const agents = yield* AgentRepository
  patch.updatedAt = yield* now
  yield* agents.update(agent.id, patch).pipe(conflictOnDuplicate)
  const provisioned = yield* provisionAgentRecord(agent.id, {
    action: "update",
    gateway: target.gateway,
    board: target.board,
    user: context.user,
    forceBootstrap: options.force,
    resetSession: true
  })
  return yield* readAgent(provisioned)
})

/**
 * Stores a heartbeat of `agent` (as just read): its status (or `online` after `provisioning`), last seen now, and
 * an activity entry. 404 when the agent is gone by then.
 */
const commitHeartbeat = Effect.fnUntraced(function*(agent: Agent, status: string | null) {
  const agents = yield* AgentRepository
  const at = yield* now
  const nextStatus = status !== null && status !== ""
    ? status
    : agent.status === "provisioning"
    ? "online"
    : agent.status
  // Every field is typed and built here: the constructor's validation is skipped on this hot path.
  const activity = new ActivityEvent({
    id: yield* newUuid<ActivityEventId>(),
    eventType: "agent.heartbeat",
    message: `Heartbeat received from ${agent.name}.`,
    agentId: agent.id,
    taskId: null,
    createdAt: at
  }, { disableChecks: true })
  const updated = yield* agents.updateWithActivity(
    agent.id,
    { status: nextStatus, lastSeenAt: at, updatedAt: at },
    activity
  ).pipe(
    dieOnDuplicate,
    Effect.flatMap(orFail(notFound))
  )
  return toAgentRead(updated, at)
})

/** A heartbeat for an agent, from the agent itself or an org admin with write access to it. */
export const heartbeatAgent = Effect.fnUntraced(function*(
  actor: Actor,
  agentId: AgentId,
  status: string | null
) {
  // An agent's own heartbeat: authentication has just read it.
  let agent = actor._tag === "Agent" && actor.agent.id === agentId ? actor.agent : undefined
  if (agent === undefined) agent = yield* findAgent(agentId)
  if (actor._tag === "Agent") {
    if (actor.agent.id !== agent.id) return yield* forbidden()
  } else {
    const context = yield* requireOrgAdmin(actor.user)
    yield* requireAgentAccess(agent, context, true)
  }
  return yield* commitHeartbeat(agent, status)
})

/**
 * A heartbeat by name: an agent's own heartbeat for agent callers; for users, finds the agent by exact name
 * (optionally on a board), creating and provisioning it when missing, provisioning it when it never got a token.
 */
export const heartbeatOrCreateAgent = Effect.fn("heartbeatOrCreateAgent")(function*(
  actor: Actor,
  payload: AgentHeartbeatCreate
) {
  if (actor._tag === "Agent") return yield* heartbeatAgent(actor, actor.agent.id, payload.status)
  const agents = yield* AgentRepository
  // Only the caller's organization is searched: another organization's agent of that name is neither taken nor
  // revealed (the answer for it is the one for an unknown name).
  const context = yield* requireUserContext(actor.user)
  const found = yield* agents.findByExactName(payload.name, {
    organizationId: context.organization.id,
    boardId: payload.boardId ?? undefined
  })
  let agentId: AgentId
  if (Option.isNone(found)) {
    yield* requireOrgAdmin(actor.user)
    const board = yield* requireBoard(payload.boardId, { user: actor.user, write: true })
    const { gateway } = yield* requireGateway(board)
    const agent = yield* insertBoardAgent(board, gateway, {
      name: payload.name,
      heartbeatConfig: null,
      identityProfile: null,
      identityTemplate: null,
      soulTemplate: null
    })
    yield* provisionAgentRecord(agent.id, { action: "provision", gateway, board, user: actor.user, resetSession: true })
    agentId = agent.id
  } else {
    const agent = found.value
    yield* requireAgentAccess(agent, context, true)
    if (agent.agentTokenDigest === null) {
      const board = yield* requireBoard(agent.boardId, { user: actor.user, write: true })
      const { gateway } = yield* requireGateway(board)
      yield* provisionAgentRecord(agent.id, {
        action: "provision",
        gateway,
        board,
        user: actor.user,
        resetSession: true
      })
    }
    agentId = agent.id
  }
  const agent = yield* findAgent(agentId)
  if (agent.boardId !== null) {
    const expected = boardScopedSessionKey(agent)
    if (agent.openclawSessionId !== expected) {
      yield* agents.update(agent.id, { openclawSessionId: expected, updatedAt: yield* now }).pipe(dieOnDuplicate)
    }
  }
  return yield* commitHeartbeat(agent, payload.status)
})

/** Deletes an agent (an org admin with write access); a missing agent is already deleted. */
export const deleteAgent = Effect.fn("deleteAgent")(function*(user: User | null, agentId: AgentId) {
  const context = yield* requireOrgAdmin(user)
  const agents = yield* AgentRepository
  const agent = yield* agents.findById(agentId)
  if (Option.isNone(agent)) return { ok: true } as OkResponse
  yield* requireAgentAccess(agent.value, context, true)
  return yield* deleteAgentRecord(agent.value)
})

/** Deletes a worker of the lead's own board, as that board's lead. */
export const deleteAgentAsLead = Effect.fn("deleteAgentAsLead")(function*(
  lead: Agent,
  boardId: BoardId,
  agentId: AgentId
) {
  const boards = yield* BoardRepository
  if (Option.isNone(yield* boards.findById(boardId))) return yield* notFound()
  if (lead.boardId !== boardId) return yield* forbidden()
  if (!lead.isBoardLead) return yield* new Forbidden({ detail: "Only board leads can delete agents" })
  const agents = yield* AgentRepository
  const found = yield* agents.findById(agentId)
  if (Option.isNone(found)) return { ok: true } as OkResponse
  const target = found.value
  if (target.boardId === null) return yield* new Forbidden({ detail: "Board leads cannot delete gateway main agents" })
  const board = yield* requireBoard(lead.boardId)
  if (target.boardId !== board.id) return yield* notFound()
  if (target.isBoardLead) return yield* new Forbidden({ detail: "Board leads cannot delete lead agents" })
  return yield* deleteAgentRecord(target)
})

/** Agents an agent may list: its own board's, or its organization's for a gateway-main agent. */
export const listAgentsForAgent = Effect.fn("listAgentsForAgent")(function*(
  agent: Agent,
  query: { readonly boardId?: BoardId | undefined; readonly limit: number; readonly offset: number }
) {
  const agents = yield* AgentRepository
  const gateways = yield* GatewayRepository
  const boards = yield* BoardRepository
  let filter: { visibleBoardIds: ReadonlyArray<BoardId>; visibleMainGatewayIds: ReadonlyArray<GatewayId> }
  if (agent.boardId !== null) {
    if (query.boardId !== undefined && query.boardId !== agent.boardId) return yield* forbidden()
    filter = { visibleBoardIds: [agent.boardId], visibleMainGatewayIds: [] }
  } else {
    const gateway = yield* gateways.findById(agent.gatewayId).pipe(Effect.flatMap(orFail(forbidden)))
    filter = {
      visibleBoardIds: yield* boards.listIdsByOrganization(gateway.organizationId),
      visibleMainGatewayIds: yield* gateways.listIdsByOrganization(gateway.organizationId)
    }
  }
  const page = yield* agents.list({ ...filter, boardId: query.boardId }, { limit: query.limit, offset: query.offset })
  const at = yield* now
  return {
    items: page.items.map((item) => toAgentRead(item, at)),
    total: page.total,
    limit: query.limit,
    offset: query.offset
  } satisfies PageResult<AgentRead>
})
