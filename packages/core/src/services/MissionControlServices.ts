import type { ActivityRepository } from "./ActivityRepository.js"
import type { AgentChanges } from "./AgentChanges.js"
import type { AgentLocks } from "./AgentLocks.js"
import type { AgentRepository } from "./AgentRepository.js"
import type { AgentTokens } from "./AgentTokens.js"
import type { BoardMemoryRepository } from "./BoardMemoryRepository.js"
import type { BoardRepository } from "./BoardRepository.js"
import type { GatewayControlPlane } from "./GatewayControlPlane.js"
import type { GatewayRepository } from "./GatewayRepository.js"
import type { OrganizationRepository } from "./OrganizationRepository.js"
import type { TaskRepository } from "./TaskRepository.js"
import type { TemplateRenderer } from "./TemplateRenderer.js"
import type { Transactor } from "./Transactor.js"

/** Every service the core programs use: what a layer given to a host integration must provide. */
export type MissionControlServices =
  | ActivityRepository
  | AgentChanges
  | AgentLocks
  | AgentRepository
  | AgentTokens
  | BoardMemoryRepository
  | BoardRepository
  | GatewayControlPlane
  | GatewayRepository
  | OrganizationRepository
  | TaskRepository
  | TemplateRenderer
  | Transactor
