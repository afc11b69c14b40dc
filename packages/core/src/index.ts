// Domain
export * from "./domain/boardWire.js"
export * from "./domain/coordinationWire.js"
export * from "./domain/gatewaySessionWire.js"
export * from "./domain/identity.js"
export * from "./domain/ids.js"
export { jsonLimitViolation, limits } from "./domain/limits.js"
export * from "./domain/models.js"
export * from "./domain/pendingAgent.js"
export * from "./domain/reconcileWire.js"
export * from "./domain/templateSync.js"
export * from "./domain/wire.js"
export * from "./errors.js"
export { Settings } from "./Settings.js"
export type { RetryPolicy } from "./Settings.js"

// Services
export { ActivityRepository } from "./services/ActivityRepository.js"
export { AgentChanges, feedToStream, subscribeAgentChanges } from "./services/AgentChanges.js"
export type { AgentChange, AgentChangeFeed } from "./services/AgentChanges.js"
export * as AgentLocks from "./services/AgentLocks.js"
export { AgentRepository, DuplicateAgent } from "./services/AgentRepository.js"
export type { AgentListFilter, AgentPatch, Page, PageRequest } from "./services/AgentRepository.js"
export * as AgentTokens from "./services/AgentTokens.js"
export { BoardMemoryRepository } from "./services/BoardMemoryRepository.js"
export { BoardRepository } from "./services/BoardRepository.js"
export { makeChangeFanout } from "./services/ChangeFanout.js"
export type { ChangeFanout } from "./services/ChangeFanout.js"
export {
  gatewayActivityKinds,
  GatewayControlPlane,
  GatewayError,
  gatewayError,
  GatewayErrorReason,
  isTransientGatewayError,
  protocol4WritableFiles
} from "./services/GatewayControlPlane.js"
export type {
  GatewayActivity,
  GatewayActivityKind,
  GatewayAgentSummary,
  GatewayCapabilities,
  GatewayCatalog,
  GatewayClient,
  GatewayFile,
  GatewayFileEntry,
  GatewayTarget,
  HeartbeatDrift,
  HeartbeatEntry
} from "./services/GatewayControlPlane.js"
export { GatewayRepository } from "./services/GatewayRepository.js"
export type { KeyedPermits } from "./services/keyedPermits.js"
export { OrganizationRepository } from "./services/OrganizationRepository.js"
export {
  layerMemory as layerMemoryRateLimitStore,
  makeMemory as makeMemoryRateLimitStore,
  RateLimitStore,
  windowStartOf,
  withinLimit
} from "./services/RateLimitStore.js"
export type { RateLimit, RateLimitDecision, WindowCounts } from "./services/RateLimitStore.js"
export { TaskRepository } from "./services/TaskRepository.js"
export * as TemplateRenderer from "./services/TemplateRenderer.js"
export { Transactor } from "./services/Transactor.js"
export { defaultTemplates } from "./templates/defaults.js"
export { layerFromDirectory as templatesFromDirectory } from "./templates/fromDirectory.js"

// Programs
export { LifecycleOutcome } from "./lifecycle/attempts.js"
export { DeleteAgentWorkflow, DeletePayload } from "./lifecycle/deleteWorkflow.js"
export { DurableLifecycle } from "./lifecycle/DurableLifecycle.js"
export type { DurableLifecycleOptions } from "./lifecycle/DurableLifecycle.js"
export { layerDurableLifecycle } from "./lifecycle/layer.js"
export { ProvisionAgentWorkflow, ProvisionPayload } from "./lifecycle/provisionWorkflow.js"
export { SyncPayload, SyncTemplatesWorkflow, TemplateSyncSummarySchema } from "./lifecycle/syncWorkflow.js"
export * from "./programs/access.js"
export * from "./programs/adoptAgents.js"
export * from "./programs/agentAuth.js"
export * from "./programs/boardLead.js"
export * from "./programs/boardMemory.js"
export * from "./programs/boards.js"
export * from "./programs/checkIn.js"
export { Actor, conflictOnDuplicate, duplicateToConflict, runToCompletion } from "./programs/common.js"
export * from "./programs/coordination.js"
export * from "./programs/createAgent.js"
export { deleteAgent, deleteAgentAsLead, deleteAgentRecord } from "./programs/deleteAgent.js"
export { displayGatewayUrl, gatewayCheckDeadline, requireSupportedGateway } from "./programs/gatewayCheck.js"
export * from "./programs/gateways.js"
export * from "./programs/gatewaySessions.js"
export * from "./programs/gatewayVersion.js"
export * from "./programs/heartbeatAgent.js"
export * from "./programs/listAgents.js"
export { markAgentSeenFromGateway } from "./programs/liveness/seen.js"
export type { SeenEvidence, SeenOutcome } from "./programs/liveness/seen.js"
export { LivenessWatcher } from "./programs/liveness/watcher.js"
export type { LivenessWatcherOptions } from "./programs/liveness/watcher.js"
export * from "./programs/organizations.js"
export {
  isProvisionPending,
  provisionAgentRecord,
  provisionAgentRecordLocked
} from "./programs/provisionAgentRecord.js"
export type { ProvisionRequest } from "./programs/provisionAgentRecord.js"
export * from "./programs/readiness.js"
export * from "./programs/reconcile.js"
export * from "./programs/reconcilePendingProvisioning.js"
export { describeDeadline, retryTransient } from "./programs/retry.js"
export * from "./programs/streamAgents.js"
export * from "./programs/templateSync.js"
export * from "./programs/updateAgent.js"
export { ProvisioningFault, workspaceFiles } from "./programs/workspaceLifecycle.js"

// Traces and metrics
export * as Observability from "./observability/index.js"

// Everything the programs need, for hosts that build one runtime for all of them.
export type { MissionControlServices } from "./services/MissionControlServices.js"
