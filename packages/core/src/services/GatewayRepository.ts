import type { Effect, Option } from "effect"
import { Context } from "effect"
import type { GatewayId, OrganizationId } from "../domain/ids.js"
import type { Gateway } from "../domain/models.js"
import type { Page, PageRequest } from "./AgentRepository.js"

/** Persistence of gateway rows. */
export class GatewayRepository extends Context.Service<GatewayRepository, {
  readonly findById: (id: GatewayId) => Effect.Effect<Option.Option<Gateway>>
  /** Gateways of an organization, newest first. */
  readonly listByOrganization: (organizationId: OrganizationId, page: PageRequest) => Effect.Effect<Page<Gateway>>
  readonly listIdsByOrganization: (organizationId: OrganizationId) => Effect.Effect<ReadonlyArray<GatewayId>>
  readonly insert: (gateway: Gateway) => Effect.Effect<void>
  readonly update: (gateway: Gateway) => Effect.Effect<void>
  readonly delete: (id: GatewayId) => Effect.Effect<void>
  /** True when a board still points at the gateway. */
  readonly hasBoards: (id: GatewayId) => Effect.Effect<boolean>
}>()("@mission-control/core/GatewayRepository") {}
