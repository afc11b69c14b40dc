import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { GatewayId, OrganizationId } from "../domain/ids.js"
import type { Gateway } from "../domain/models.js"
import type { DatabaseUnavailable } from "../errors.js"
import type { Page, PageRequest } from "./AgentRepository.js"

/** Persistence of gateway rows. */
export class GatewayRepository extends Context.Service<GatewayRepository, {
  readonly findById: (id: GatewayId) => Effect.Effect<Option.Option<Gateway>, DatabaseUnavailable>
  /** Gateways of an organization, newest first. */
  readonly listByOrganization: (
    organizationId: OrganizationId,
    page: PageRequest
  ) => Effect.Effect<Page<Gateway>, DatabaseUnavailable>
  readonly listIdsByOrganization: (
    organizationId: OrganizationId
  ) => Effect.Effect<ReadonlyArray<GatewayId>, DatabaseUnavailable>
  /** Every gateway's id, oldest first: what the background reconciler looks after. */
  readonly listIds: Effect.Effect<ReadonlyArray<GatewayId>, DatabaseUnavailable>
  readonly insert: (gateway: Gateway) => Effect.Effect<void, DatabaseUnavailable>
  readonly update: (gateway: Gateway) => Effect.Effect<void, DatabaseUnavailable>
  readonly delete: (id: GatewayId) => Effect.Effect<void, DatabaseUnavailable>
  /** True when a board still points at the gateway. */
  readonly hasBoards: (id: GatewayId) => Effect.Effect<boolean, DatabaseUnavailable>
}>()("@mission-control/core/GatewayRepository") {}
