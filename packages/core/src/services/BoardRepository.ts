import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { BoardId, GatewayId, OrganizationId } from "../domain/ids.js"
import type { Board } from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"

/** Read access to boards, plus the writes a host needs to seed them. */
export class BoardRepository extends Context.Service<BoardRepository, {
  readonly findById: (id: BoardId) => Effect.Effect<Option.Option<Board>, DatabaseUnavailable>
  /** Boards attached to a gateway, oldest first. */
  readonly listByGateway: (gatewayId: GatewayId) => Effect.Effect<ReadonlyArray<Board>, DatabaseUnavailable>
  readonly listIdsByOrganization: (
    organizationId: OrganizationId
  ) => Effect.Effect<ReadonlyArray<BoardId>, DatabaseUnavailable>
  readonly insert: (board: Board) => Effect.Effect<void, DatabaseUnavailable>
  readonly update: (board: Board) => Effect.Effect<void, DatabaseUnavailable>
}>()("@mission-control/core/BoardRepository") {}
