import { Effect, Option } from "effect"
import type { AgentId, BoardId, GatewayId } from "../domain/ids.js"
import type { Agent, User } from "../domain/models.js"
import { Forbidden, NotFound, reason } from "../errors.js"
import { agentAttributes, annotate, AttributeKey } from "../observability/attributes.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { hasBoardAccess, listAccessibleBoardIds, requireAgentAccess, requireOrgAdmin } from "./access.js"
import { findAgent } from "./agentRecords.js"
import { orFail, pageResult } from "./common.js"

const forbidden = () => new Forbidden({ detail: reason.forbidden })
const notFound = () => new NotFound({ detail: reason.notFound })

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
  yield* annotate({
    ...(query.boardId === undefined ? {} : { [AttributeKey.boardId]: query.boardId }),
    ...(query.gatewayId === undefined ? {} : { [AttributeKey.gatewayId]: query.gatewayId })
  })
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
  return pageResult(yield* read, pageRequest)
})

/** One agent, for an org admin with read access to it. */
export const getAgent = Effect.fn("getAgent")(function*(user: User | null, agentId: AgentId) {
  yield* annotate({ [AttributeKey.agentId]: agentId })
  const context = yield* requireOrgAdmin(user)
  const agent = yield* findAgent(agentId)
  yield* requireAgentAccess(agent, context, false)
  return agent
})

/** Agents an agent may list: its own board's, or its organization's for a gateway-main agent. */
export const listAgentsForAgent = Effect.fn("listAgentsForAgent")(function*(
  agent: Agent,
  query: { readonly boardId?: BoardId | undefined; readonly limit: number; readonly offset: number }
) {
  yield* annotate(agentAttributes(agent))
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
  const pageRequest = { limit: query.limit, offset: query.offset }
  return pageResult(yield* agents.list({ ...filter, boardId: query.boardId }, pageRequest), pageRequest)
})
