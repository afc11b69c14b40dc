import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { BoardId, GatewayId, OrganizationId } from "../domain/ids.js"
import type { Board } from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"
import type { Page, PageRequest } from "./AgentRepository.js"

/** Which boards of an organization a listing shows, and in which order. */
export interface BoardListFilter {
  readonly organizationId: OrganizationId
  /** Only these boards; all of the organization's when absent. */
  readonly boardIds?: ReadonlyArray<BoardId> | undefined
  /** Only boards attached to this gateway. */
  readonly gatewayId?: GatewayId | undefined
  /** `name`: by name ignoring case, then newest first (the users' listing); `newest`: newest first (id breaks ties). */
  readonly order: "name" | "newest"
}

/** Persistence of boards. */
export class BoardRepository extends Context.Service<BoardRepository, {
  readonly findById: (id: BoardId) => Effect.Effect<Option.Option<Board>, DatabaseUnavailable>
  /** Boards attached to a gateway, oldest first. */
  readonly listByGateway: (gatewayId: GatewayId) => Effect.Effect<ReadonlyArray<Board>, DatabaseUnavailable>
  readonly listIdsByOrganization: (
    organizationId: OrganizationId
  ) => Effect.Effect<ReadonlyArray<BoardId>, DatabaseUnavailable>
  /** A page of the boards the filter shows, with their total. */
  readonly list: (filter: BoardListFilter, page: PageRequest) => Effect.Effect<Page<Board>, DatabaseUnavailable>
  readonly insert: (board: Board) => Effect.Effect<void, DatabaseUnavailable>
  /**
   * Writes the `changed` fields of `board` and no others, so that concurrent updates of other fields are kept;
   * `false` when the board is gone.
   */
  readonly update: (board: Board, changed: ReadonlyArray<keyof Board>) => Effect.Effect<boolean, DatabaseUnavailable>
  /** Deletes the board row, with its memory and access grants; its agents and tasks must be gone first. */
  /**
   * Deletes a board that has no agents (its memory and access grants with it); `false` when it still has one, say
   * created while the board was being deleted.
   */
  readonly delete: (id: BoardId) => Effect.Effect<boolean, DatabaseUnavailable>
}>()("@mission-control/core/BoardRepository") {}
