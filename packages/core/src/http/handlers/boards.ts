import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { BoardId } from "../../domain/ids.js"
import type { Board, BoardMemory, PageResult } from "../../domain/models.js"
import {
  Actor,
  createBoard,
  createBoardMemory,
  deleteBoard,
  ensureBoardLead,
  getAgentBoard,
  getBoard,
  listAgentBoards,
  listBoardMemory,
  listBoards,
  toBoardCreate,
  toBoardMemoryCreate,
  toBoardMemoryRead,
  toBoardRead,
  toBoardUpdate,
  updateBoard
} from "../../index.js"
import { MissionControlApi } from "../Api.js"
import { CurrentActor, CurrentAgent, CurrentUser } from "../middleware.js"
import { agentView, ok, pageOf, pathId, respond } from "../views.js"

const boardPageView = (page: PageResult<Board>) => ({ ...page, items: page.items.map(toBoardRead) })
const memoryPageView = (page: PageResult<BoardMemory>) => ({ ...page, items: page.items.map(toBoardMemoryRead) })
const boardIdOf = (params: { readonly board_id: string }) => pathId(BoardId, params.board_id)

/** Boards: CRUD, their lead and their memory. */
export const BoardsHandlers = HttpApiBuilder.group(
  MissionControlApi,
  "boards",
  (handlers) =>
    handlers
      .handle("list", ({ query }) =>
        respond(Effect.gen(function*() {
          const filter = { gatewayId: query.gateway_id, boardGroupId: query.board_group_id }
          return boardPageView(yield* listBoards(yield* CurrentUser, filter, pageOf(query)))
        })))
      .handle("create", ({ payload }) =>
        respond(Effect.gen(function*() {
          return toBoardRead(yield* createBoard(yield* CurrentUser, toBoardCreate(payload)))
        })))
      .handle("get", ({ params }) =>
        respond(Effect.gen(function*() {
          return toBoardRead(yield* getBoard(yield* CurrentUser, yield* boardIdOf(params)))
        })))
      .handle("update", ({ params, payload }) =>
        respond(Effect.gen(function*() {
          const user = yield* CurrentUser
          return toBoardRead(yield* updateBoard(user, yield* boardIdOf(params), toBoardUpdate(payload)))
        })))
      .handle("delete", ({ params }) =>
        respond(Effect.gen(function*() {
          yield* deleteBoard(yield* CurrentUser, yield* boardIdOf(params))
          return ok
        })))
      .handle("ensureLead", ({ params, payload }) =>
        respond(Effect.gen(function*() {
          const actor = yield* CurrentActor
          const boardId = yield* boardIdOf(params)
          const lead = yield* ensureBoardLead(actor, boardId, {
            agentName: payload?.agent_name ?? null,
            identityProfile: payload?.identity_profile ?? null
          })
          return { agent: yield* agentView(lead.agent), created: lead.created }
        })))
      .handle("listMemory", ({ params, query }) =>
        respond(Effect.gen(function*() {
          const actor = yield* CurrentActor
          const page = yield* listBoardMemory(actor, yield* boardIdOf(params), { isChat: query.is_chat }, pageOf(query))
          return memoryPageView(page)
        })))
      .handle("createMemory", ({ params, payload }) =>
        respond(Effect.gen(function*() {
          const actor = yield* CurrentActor
          return toBoardMemoryRead(
            yield* createBoardMemory(actor, yield* boardIdOf(params), toBoardMemoryCreate(payload))
          )
        })))
)

/** Boards as agents read them, and their memory. */
export const AgentBoardsHandlers = HttpApiBuilder.group(MissionControlApi, "agentBoards", (handlers) =>
  handlers
    .handle("list", ({ query }) =>
      respond(Effect.gen(function*() {
        return boardPageView(yield* listAgentBoards(yield* CurrentAgent, pageOf(query)))
      })))
    .handle("get", ({ params }) =>
      respond(Effect.gen(function*() {
        return toBoardRead(yield* getAgentBoard(yield* CurrentAgent, yield* boardIdOf(params)))
      })))
    .handle("listMemory", ({ params, query }) =>
      respond(Effect.gen(function*() {
        const actor = Actor.agent(yield* CurrentAgent)
        const page = yield* listBoardMemory(actor, yield* boardIdOf(params), { isChat: query.is_chat }, pageOf(query))
        return memoryPageView(page)
      })))
    .handle("createMemory", ({ params, payload }) =>
      respond(Effect.gen(function*() {
        const actor = Actor.agent(yield* CurrentAgent)
        return toBoardMemoryRead(
          yield* createBoardMemory(actor, yield* boardIdOf(params), toBoardMemoryCreate(payload))
        )
      }))))
