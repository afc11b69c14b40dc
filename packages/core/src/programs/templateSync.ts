import { Effect, Option, Queue, Redacted, Ref, Stream } from "effect"
import { agentKey, gatewayMainAgentKey, parseKeyValueLines } from "../domain/identity.js"
import type { BoardId, GatewayId } from "../domain/ids.js"
import type { Agent, Board, Gateway, User } from "../domain/models.js"
import type {
  SyncAgentProgress,
  SyncEvent,
  SyncOutcome,
  TemplateSyncProblem,
  TemplateSyncSummary
} from "../domain/templateSync.js"
import { DurableLifecycle } from "../lifecycle/DurableLifecycle.js"
import { annotate, AttributeKey, gatewayAttributes } from "../observability/attributes.js"
import type { TemplateSyncOutcome } from "../observability/metrics.js"
import { countSyncedAgent, recordTemplateSync, stopwatch } from "../observability/metrics.js"
import { withAgentLocks } from "../services/AgentLocks.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { AgentTokens, constantTimeEquals } from "../services/AgentTokens.js"
import { BoardMemoryRepository } from "../services/BoardMemoryRepository.js"
import { BoardRepository } from "../services/BoardRepository.js"
import type { GatewayClient, HeartbeatEntry } from "../services/GatewayControlPlane.js"
import { GatewayControlPlane } from "../services/GatewayControlPlane.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { Settings } from "../Settings.js"
import { gatewayTarget, requireGatewayInOrganization, requireOrgAdmin } from "./access.js"
import { rotatedToken } from "./agentAuth.js"
import { dieOnDuplicate, newUuid, now, runToCompletion } from "./common.js"
import { ensureGatewayMainAgent } from "./gateways.js"
import { retryTransient } from "./retry.js"
import { applyAgentLifecycle, provisioningSessionKey } from "./workspaceLifecycle.js"

/** Options of a template sync (the reference's query flags). */
export interface SyncOptions {
  readonly user?: User | null
  readonly includeMain?: boolean
  readonly resetSessions?: boolean
  readonly rotateTokens?: boolean
  readonly forceBootstrap?: boolean
  readonly boardId?: BoardId | null
  /** Only board leads (the gateway-main agent still follows `includeMain`). */
  readonly leadOnly?: boolean
  /** Rewrite the files an update otherwise keeps (`USER.md`, `MEMORY.md`) with their templates. */
  readonly overwrite?: boolean
  /** Agents synced at once; defaults to `Settings.syncConcurrency`. */
  readonly concurrency?: number
}

type AgentOutcome = {
  readonly updated: boolean
  readonly skipped: boolean
  readonly errors: ReadonlyArray<TemplateSyncProblem>
  readonly stop: boolean
  readonly heartbeat: HeartbeatEntry | null
  readonly unsupportedFiles: ReadonlyArray<string>
  /** The token file had no AUTH_TOKEN and rotation was not asked for. */
  readonly missingToken: boolean
}

const syncError = (agent: Agent | null, message: string): TemplateSyncProblem => ({
  agentId: agent?.id ?? null,
  agentName: agent?.name ?? null,
  boardId: agent?.boardId ?? null,
  message
})

const outcome = (fields: Partial<AgentOutcome>): AgentOutcome => ({
  updated: false,
  skipped: false,
  errors: [],
  stop: false,
  heartbeat: null,
  unsupportedFiles: [],
  missingToken: false,
  ...fields
})

interface SyncContext {
  readonly gateway: Gateway
  readonly client: GatewayClient
  readonly tokenFile: string
  readonly user: User | null
  readonly options: SyncOptions
}

type TokenReadBack =
  | {
    readonly _tag: "Token"
    readonly token: Redacted.Redacted<string>
    readonly newDigest: string | null
    readonly warnings: ReadonlyArray<TemplateSyncProblem>
  }
  | { readonly _tag: "Skip"; readonly errors: ReadonlyArray<TemplateSyncProblem> }
  | { readonly _tag: "Fatal"; readonly errors: ReadonlyArray<TemplateSyncProblem> }

/**
 * Reads the agent's token back from the gateway's token file and checks it against the stored digest. A new token is
 * minted when asked to rotate and the file has none or a wrong one; its digest is returned to be stored only after
 * the gateway has accepted the files that carry it.
 */
const readBackToken = Effect.fn("readBackToken")(function*(context: SyncContext, agent: Agent, gatewayAgentId: string) {
  const settings = yield* Settings
  const tokens = yield* AgentTokens
  const read = yield* Effect.result(
    context.client.readFile(gatewayAgentId, context.tokenFile).pipe(retryTransient(settings.syncRetry))
  )
  if (read._tag === "Failure" && read.failure._tag === "GatewayTimeout") {
    return { _tag: "Fatal", errors: [syncError(agent, read.failure.detail)] } satisfies TokenReadBack
  }
  const content = read._tag === "Success" ? Option.getOrNull(read.success)?.content ?? null : null
  const fileToken = content === null ? "" : parseKeyValueLines(content).get("AUTH_TOKEN") ?? ""
  const rotate = context.options.rotateTokens === true
  if (fileToken === "") {
    if (!rotate) {
      return {
        _tag: "Skip",
        errors: [
          syncError(
            agent,
            `Skipping agent: unable to read AUTH_TOKEN from ${context.tokenFile} (run with rotate_tokens=true to re-key).`
          )
        ]
      } satisfies TokenReadBack
    }
    const minted = yield* tokens.mint
    return { _tag: "Token", token: minted.token, newDigest: minted.digest, warnings: [] } satisfies TokenReadBack
  }
  const digest = yield* tokens.digest(fileToken)
  if (agent.agentTokenDigest === null) {
    // The record lost its digest: adopt the workspace's token so the agent can authenticate again.
    return { _tag: "Token", token: redact(fileToken), newDigest: digest, warnings: [] } satisfies TokenReadBack
  }
  if (constantTimeEquals(digest, agent.agentTokenDigest)) {
    return { _tag: "Token", token: redact(fileToken), newDigest: null, warnings: [] } satisfies TokenReadBack
  }
  if (rotate) {
    const minted = yield* tokens.mint
    return { _tag: "Token", token: minted.token, newDigest: minted.digest, warnings: [] } satisfies TokenReadBack
  }
  return {
    _tag: "Token",
    token: redact(fileToken),
    newDigest: null,
    warnings: [
      syncError(
        agent,
        `Warning: AUTH_TOKEN in ${context.tokenFile} does not match backend token hash (agent auth may be broken).`
      )
    ]
  } satisfies TokenReadBack
})

const redact = (token: string): Redacted.Redacted<string> => Redacted.make(token)

/** How an agent's sync ended, as its progress event and its span say. */
const outcomeOf = (result: AgentOutcome): SyncOutcome =>
  result.updated ? "updated" : result.errors.length > 0 ? "failed" : "skipped"

/** Syncs one agent's workspace under its lock. Board is null for the gateway-main agent. */
const syncAgent = Effect.fn("syncAgentTemplates")(
  function*(context: SyncContext, agentId: Agent["id"], board: Board | null, failurePrefix: string) {
    yield* annotate(
      board === null
        ? { [AttributeKey.agentId]: agentId, [AttributeKey.gatewayId]: context.gateway.id }
        : {
          [AttributeKey.agentId]: agentId,
          [AttributeKey.gatewayId]: context.gateway.id,
          [AttributeKey.boardId]: board.id
        }
    )
    const agents = yield* AgentRepository
    const settings = yield* Settings
    // Run to completion: a client leaving mid-sync must not stop an agent between its workspace write and the
    // storing of the token that write carries.
    return yield* runToCompletion(
      withAgentLocks(agentId)(Effect.gen(function*() {
        const found = yield* agents.findById(agentId)
        if (Option.isNone(found)) return outcome({ skipped: true })
        const agent = found.value
        const gatewayAgentId = board === null ? gatewayMainAgentKey(context.gateway.id) : agentKey(agent)
        const readBack = yield* readBackToken(context, agent, gatewayAgentId)
        if (readBack._tag === "Fatal") return outcome({ skipped: true, errors: readBack.errors, stop: true })
        if (readBack._tag === "Skip") return outcome({ skipped: true, errors: readBack.errors, missingToken: true })
        const idempotencyKey = yield* newUuid<string>()
        const newDigest = readBack.newDigest
        const run = yield* Effect.result(
          applyAgentLifecycle(agent, context.gateway, board, readBack.token, {
            action: "update",
            forceBootstrap: context.options.forceBootstrap === true,
            overwritePreserved: context.options.overwrite === true,
            resetSession: context.options.resetSessions === true,
            wake: false,
            deliverWakeup: false,
            wakeupVerb: null,
            patchHeartbeat: false,
            user: context.user,
            // A rotated token is stored as soon as the gateway holds the files carrying it: whatever fails after
            // (a later step, the deadline), the agent's token and the database's stay the same.
            ...(newDigest === null ? {} : {
              onWorkspaceWritten: now.pipe(
                Effect.flatMap((at) =>
                  agents.update(agent.id, rotatedToken(agent, newDigest, at, settings.tokenGracePeriod))
                ),
                Effect.orDie,
                Effect.asVoid
              )
            })
          }, idempotencyKey).pipe(retryTransient(settings.syncRetry))
        )
        if (run._tag === "Failure") {
          const error = run.failure
          if (error._tag === "GatewayTimeout") {
            return outcome({
              skipped: true,
              errors: [...readBack.warnings, syncError(agent, error.detail)],
              stop: true
            })
          }
          return outcome({
            skipped: true,
            errors: [...readBack.warnings, syncError(agent, `${failurePrefix}: ${error.detail}`)]
          })
        }
        const sessionKey = provisioningSessionKey(agent, context.gateway)
        if (newDigest !== null || agent.openclawSessionId !== sessionKey) {
          // The token was stored (with the previous one's grace) when the files were written.
          yield* agents.update(agent.id, {
            ...(newDigest === null ? {} : { agentTokenDigest: newDigest }),
            openclawSessionId: sessionKey,
            updatedAt: yield* now
          }).pipe(dieOnDuplicate)
        }
        return outcome({
          updated: true,
          errors: readBack.warnings,
          heartbeat: run.success.heartbeat,
          unsupportedFiles: run.success.unsupportedFiles
        })
      }))
    )
  },
  Effect.tap((result) => annotate({ [AttributeKey.outcome]: outcomeOf(result) }))
)

const progressOf = (
  agent: Agent,
  result: AgentOutcome,
  position: { readonly index: number; readonly total: number }
): SyncAgentProgress => ({
  type: "agent",
  index: position.index,
  total: position.total,
  agentId: agent.id,
  agentName: agent.name,
  boardId: agent.boardId,
  outcome: outcomeOf(result),
  message: result.errors.map((error) => error.message).join(" ") || null
})

/**
 * Re-renders and converges the workspace of every agent of a gateway (optionally one board's, plus the gateway-main
 * agent), agents of paused boards skipped. Per-agent problems are reported in the summary, never raised. Agents run
 * `concurrency` at a time; the summary lists them in creation order, and once a gateway timeout stops the sync no
 * further agent is started. Heartbeat settings of all synced agents go to the gateway in one patch at the end.
 *
 * `onProgress` hears of each agent as it finishes, numbered in completion order out of the agents of this sync (a
 * sync stopped by a timeout ends before the last number).
 */
export const syncGatewayTemplates = Effect.fn("syncGatewayTemplates")(function*(
  gateway: Gateway,
  options: SyncOptions = {},
  onProgress: (event: SyncAgentProgress) => Effect.Effect<void> = () => Effect.void
) {
  const settings = yield* Settings
  const elapsed = yield* stopwatch
  yield* annotate(
    options.boardId === undefined || options.boardId === null
      ? gatewayAttributes(gateway)
      : { ...gatewayAttributes(gateway), [AttributeKey.boardId]: options.boardId }
  )
  const includeMain = options.includeMain ?? true
  const resetSessions = options.resetSessions ?? false
  const errors: Array<TemplateSyncProblem> = []
  const unsupported = new Set<string>()
  let agentsUpdated = 0
  let agentsSkipped = 0
  let mainUpdated = false
  const result = (): TemplateSyncSummary => ({
    gatewayId: gateway.id,
    includeMain,
    resetSessions,
    agentsUpdated,
    agentsSkipped,
    mainUpdated,
    errors: [...errors],
    unsupportedFiles: [...unsupported].sort()
  })
  const finish = (syncOutcome: TemplateSyncOutcome) =>
    Effect.andThen(
      annotate({
        [AttributeKey.outcome]: syncOutcome,
        [AttributeKey.syncAgentsUpdated]: agentsUpdated,
        [AttributeKey.syncAgentsSkipped]: agentsSkipped,
        [AttributeKey.syncErrors]: errors.length
      }),
      Effect.as(recordTemplateSync(gateway.id, syncOutcome, elapsed()), result())
    )

  let user = options.user ?? null
  if (user === null) {
    const owner = yield* Effect.flatMap(OrganizationRepository, (orgs) => orgs.findOwnerUser(gateway.organizationId))
    user = Option.getOrNull(owner)
  }
  if (gateway.url.trim() === "") {
    errors.push(syncError(null, "Gateway URL is not configured for this gateway."))
    return yield* finish("failed")
  }
  const controlPlane = yield* GatewayControlPlane
  const target = yield* gatewayTarget(gateway).pipe(Effect.orDie)
  const client = yield* controlPlane.client(target)
  const ping = yield* Effect.result(client.health.pipe(retryTransient(settings.syncRetry)))
  if (ping._tag === "Failure") {
    errors.push(syncError(null, ping.failure.detail))
    return yield* finish("failed")
  }
  const capabilities = yield* Effect.result(client.capabilities.pipe(retryTransient(settings.syncRetry)))
  if (capabilities._tag === "Failure") {
    errors.push(syncError(null, capabilities.failure.detail))
    return yield* finish("failed")
  }
  const context: SyncContext = { gateway, client, tokenFile: capabilities.success.tokenFile, user, options }

  const boardRepository = yield* BoardRepository
  let boards = yield* boardRepository.listByGateway(gateway.id)
  if (options.boardId !== undefined && options.boardId !== null) {
    boards = boards.filter((board) => board.id === options.boardId)
    if (boards.length === 0) {
      errors.push(syncError(null, "Board does not belong to this gateway."))
      return yield* finish("failed")
    }
  }
  const boardsById = new Map(boards.map((board) => [board.id, board]))
  const paused = yield* Effect.flatMap(BoardMemoryRepository, (memory) => memory.pausedBoardIds([...boardsById.keys()]))
  const agentRepository = yield* AgentRepository
  const boardAgents = boards.length === 0 ? [] : yield* agentRepository.listByBoards([...boardsById.keys()])
  const agents = options.leadOnly === true ? boardAgents.filter((agent) => agent.isBoardLead) : boardAgents
  const main = includeMain ? yield* agentRepository.findGatewayMain(gateway.id) : Option.none<Agent>()
  const total = agents.length + (Option.isSome(main) ? 1 : 0)
  let completed = 0
  const reportProgress = (agent: Agent, agentOutcome: AgentOutcome) => {
    const progress = progressOf(agent, agentOutcome, { index: ++completed, total })
    return Effect.andThen(countSyncedAgent(gateway.id, progress.outcome), onProgress(progress))
  }

  const stopped = yield* Ref.make(false)
  const outcomes = yield* Effect.forEach(agents, (agent) =>
    Effect.gen(function*() {
      if (yield* Ref.get(stopped)) return null
      const board = agent.boardId === null ? undefined : boardsById.get(agent.boardId)
      let agentOutcome: AgentOutcome
      if (board === undefined) {
        agentOutcome = outcome({
          skipped: true,
          errors: [syncError(agent, "Skipping agent: board not found for agent.")]
        })
      } else if (paused.has(board.id)) {
        agentOutcome = outcome({ skipped: true })
      } else {
        agentOutcome = yield* syncAgent(context, agent.id, board, "Failed to sync templates")
        if (agentOutcome.stop) yield* Ref.set(stopped, true)
      }
      yield* reportProgress(agent, agentOutcome)
      return agentOutcome
    }), { concurrency: options.concurrency ?? settings.syncConcurrency })

  const heartbeats: Array<HeartbeatEntry> = []
  let stop = false
  for (const agentOutcome of outcomes) {
    if (agentOutcome === null) continue
    if (agentOutcome.updated) agentsUpdated++
    if (agentOutcome.skipped) agentsSkipped++
    errors.push(...agentOutcome.errors)
    for (const name of agentOutcome.unsupportedFiles) unsupported.add(name)
    if (agentOutcome.heartbeat !== null) heartbeats.push(agentOutcome.heartbeat)
    if (agentOutcome.stop) {
      stop = true
      break
    }
  }

  if (!stop && includeMain) {
    if (Option.isNone(main)) {
      errors.push(syncError(null, "Gateway agent record not found; skipping gateway agent template sync."))
    } else {
      const mainOutcome = yield* syncAgent(context, main.value.id, null, "Failed to sync gateway agent templates")
      if (mainOutcome.updated) mainUpdated = true
      errors.push(...mainOutcome.errors)
      for (const name of mainOutcome.unsupportedFiles) unsupported.add(name)
      if (mainOutcome.heartbeat !== null) heartbeats.push(mainOutcome.heartbeat)
      if (mainOutcome.missingToken) {
        agentsSkipped++
        errors.push(syncError(null, `Skipping gateway agent: unable to read AUTH_TOKEN from ${context.tokenFile}.`))
      }
      yield* reportProgress(main.value, mainOutcome)
    }
  }

  if (heartbeats.length > 0) {
    const patched = yield* Effect.result(client.patchHeartbeats(heartbeats).pipe(retryTransient(settings.syncRetry)))
    if (patched._tag === "Failure") {
      errors.push(syncError(null, `Failed to update heartbeat settings: ${patched.failure.detail}`))
    }
  }
  return yield* finish(stop ? "stopped" : "completed")
})

/** `syncGatewayTemplates` as a stream: a progress event per agent, then the summary. */
export const syncGatewayTemplatesStream = (gateway: Gateway, options: SyncOptions = {}) =>
  Stream.callback<
    SyncEvent,
    Effect.Error<ReturnType<typeof syncGatewayTemplates>>,
    Effect.Services<ReturnType<typeof syncGatewayTemplates>>
  >((queue) =>
    syncGatewayTemplates(gateway, options, (event) => Effect.asVoid(Queue.offer(queue, event))).pipe(
      Effect.flatMap((summary) => Queue.offer(queue, { type: "result", summary })),
      Effect.andThen(Queue.end(queue)),
      Effect.catchCause((cause) => Queue.failCause(queue, cause)),
      Effect.forkScoped
    )
  )

/** What the admin sync routes do first: an org admin, a gateway of their organization, its gateway agent provisioned. */
const prepareAdminSync = Effect.fnUntraced(function*(user: User | null, gatewayId: GatewayId) {
  const context = yield* requireOrgAdmin(user)
  const gateway = yield* requireGatewayInOrganization(gatewayId, context)
  yield* ensureGatewayMainAgent(gateway, context.user, { action: "provision", wake: false })
  return { gateway, admin: context.user }
})

/** The template sync route: makes sure the gateway-main agent exists and is provisioned, then syncs. */
export const syncGatewayTemplatesAsAdmin = Effect.fn("syncGatewayTemplatesAsAdmin")(function*(
  user: User | null,
  gatewayId: GatewayId,
  options: Omit<SyncOptions, "user">
) {
  const { gateway, admin } = yield* prepareAdminSync(user, gatewayId)
  const durable = yield* Effect.serviceOption(DurableLifecycle)
  if (Option.isNone(durable)) return yield* syncGatewayTemplates(gateway, { ...options, user: admin })
  // A durable sync: cut off by a crash, it runs again on resume (docs/lifecycle.md).
  return yield* durable.value.sync({
    syncId: yield* newUuid<string>(),
    gatewayId: gateway.id,
    userId: admin.id,
    includeMain: options.includeMain ?? true,
    resetSessions: options.resetSessions ?? false,
    rotateTokens: options.rotateTokens ?? false,
    forceBootstrap: options.forceBootstrap ?? false,
    boardId: options.boardId ?? null,
    leadOnly: options.leadOnly ?? false,
    overwrite: options.overwrite ?? false
  })
})

/** The streaming template sync route: the same checks and gateway-agent step, then progress events and the summary. */
export const syncGatewayTemplatesAsAdminStream = Effect.fn("syncGatewayTemplatesAsAdminStream")(function*(
  user: User | null,
  gatewayId: GatewayId,
  options: Omit<SyncOptions, "user">
) {
  const { gateway, admin } = yield* prepareAdminSync(user, gatewayId)
  return syncGatewayTemplatesStream(gateway, { ...options, user: admin })
})
