import { Layer } from "effect"
import * as PgActivityRepository from "./PgActivityRepository.js"
import * as PgAgentRepository from "./PgAgentRepository.js"
import * as PgBoardMemoryRepository from "./PgBoardMemoryRepository.js"
import * as PgBoardRepository from "./PgBoardRepository.js"
import * as PgGatewayRepository from "./PgGatewayRepository.js"
import * as PgOrganizationRepository from "./PgOrganizationRepository.js"
import * as PgTaskRepository from "./PgTaskRepository.js"
import * as PgTransactor from "./PgTransactor.js"

/** Every repository of the core and the transaction boundary, on the `SqlClient` in context. */
export const layer = Layer.mergeAll(
  PgAgentRepository.layer,
  PgBoardRepository.layer,
  PgGatewayRepository.layer,
  PgOrganizationRepository.layer,
  PgTaskRepository.layer,
  PgActivityRepository.layer,
  PgBoardMemoryRepository.layer,
  PgTransactor.layer
)
