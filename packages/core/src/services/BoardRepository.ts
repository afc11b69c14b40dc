import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { BoardId, GatewayId, OrganizationId } from "../domain/ids.js"
import type { Board } from "../domain/models.js"

/** Read access to boards, plus the writes a host needs to seed them. */
export class BoardRepository extends Context.Service<BoardRepository, {
  readonly findById: (id: BoardId) => Effect.Effect<Option.Option<Board>>
  /** Boards attached to a gateway, oldest first. */
  readonly listByGateway: (gatewayId: GatewayId) => Effect.Effect<ReadonlyArray<Board>>
  readonly listIdsByOrganization: (organizationId: OrganizationId) => Effect.Effect<ReadonlyArray<BoardId>>
  readonly insert: (board: Board) => Effect.Effect<void>
  readonly update: (board: Board) => Effect.Effect<void>
}>()("@mission-control/core/BoardRepository") {}
