// An agent's life on its gateway, as the control plane drives it: its workspace rendered from the templates and
// converged with the gateway's copy, the gateway agent created, updated or deleted, its session reset and woken.
// Gateway calls only: the agent record and its provisioning state are `provisionAgentRecord`'s.

import type { Redacted } from "effect"
import { Effect, Option, Redacted as R, Schedule, Schema } from "effect"
import {
  agentKey,
  boardScopedSessionKey,
  defaultIdentityProfile,
  effectiveHeartbeat,
  gatewayMainAgentKey,
  gatewayMainSessionKey,
  workspacePath
} from "../domain/identity.js"
import type { Agent, Board, Gateway, User } from "../domain/models.js"
import { formatTimestamp } from "../domain/wire.js"
import { agentAttributes, annotate, AttributeKey } from "../observability/attributes.js"
import { sha256Hex } from "../services/AgentTokens.js"
import type {
  GatewayCapabilities,
  GatewayClient,
  GatewayError,
  HeartbeatEntry
} from "../services/GatewayControlPlane.js"
import { GatewayControlPlane, isTransientGatewayError } from "../services/GatewayControlPlane.js"
import type { TemplateContext } from "../services/TemplateRenderer.js"
import { TemplateRenderer } from "../services/TemplateRenderer.js"
import { Settings } from "../Settings.js"
import { gatewayTarget } from "./access.js"
import { retryWhileNotVisible } from "./retry.js"

/** A failure of provisioning that is not the gateway's: a template error, a missing workspace root. */
export class ProvisioningFault extends Schema.TaggedError<ProvisioningFault>()("ProvisioningFault", {
  detail: Schema.String
}) {}

/** Workspace files the control plane manages, in the order they are written. */
export const workspaceFiles = [
  "AGENTS.md",
  "BOOTSTRAP.md",
  "HEARTBEAT.md",
  "IDENTITY.md",
  "MEMORY.md",
  "SOUL.md",
  "TOOLS.md",
  "USER.md"
] as const

/** Files agents edit themselves: on updates they are written only when missing or empty. */
export const preservedBoardFiles: ReadonlySet<string> = new Set(["USER.md", "MEMORY.md"])
export const preservedMainFiles: ReadonlySet<string> = new Set(["MEMORY.md"])

const mainTemplateNames: Readonly<Record<string, string>> = {
  "AGENTS.md": "MAIN_AGENTS.md",
  "HEARTBEAT.md": "MAIN_HEARTBEAT.md",
  "USER.md": "MAIN_USER.md",
  "TOOLS.md": "MAIN_TOOLS.md"
}

/** What a provisioning run is asked to do. */
export interface LifecycleOptions {
  readonly action: string
  readonly forceBootstrap: boolean
  /** An update rewrites the files it otherwise keeps once the agent has them (`USER.md`, `MEMORY.md`). */
  readonly overwritePreserved?: boolean | undefined
  readonly resetSession: boolean
  readonly wake: boolean
  readonly deliverWakeup: boolean
  readonly wakeupVerb: string | null
  /** Send the agent's heartbeat settings now; template sync batches them into one patch instead. */
  readonly patchHeartbeat: boolean
  readonly user: User | null
  /**
   * Runs once the gateway has accepted the workspace files (they carry the agent's token), before the agent is woken:
   * where the caller records that token. Retries of the lifecycle may run it again.
   */
  readonly onWorkspaceWritten?: Effect.Effect<void> | undefined
  /**
   * A wakeup the gateway keeps refusing for now is left to the check-in sweep (`checkIn.ts`), which wakes an agent
   * that has not checked in by its deadline: the workspace and its token are in place, and converging them again
   * would only rewrite the gateway's config once more. Durable attempts set it; a request's run fails instead.
   */
  readonly wakeRetriedByCheckIn?: boolean | undefined
}

/** What a provisioning run did. */
export interface LifecycleReport {
  readonly sessionKey: string
  readonly gatewayAgentId: string
  readonly workspace: string
  readonly heartbeat: HeartbeatEntry
  readonly filesWritten: ReadonlyArray<string>
  readonly unsupportedFiles: ReadonlyArray<string>
}

/** The session key provisioning uses for an agent: main agents keep theirs, board agents get the deterministic one. */
export const provisioningSessionKey = (agent: Agent, gateway: Gateway): string => {
  if (agent.boardId !== null) return boardScopedSessionKey(agent)
  const stored = agent.openclawSessionId?.trim() ?? ""
  return stored === "" ? gatewayMainSessionKey(gateway.id) : stored
}

/** Python-`json.dumps`-style text (`", "` and `": "` separators, non-ASCII escaped), as templates expect. */
export const pythonJson = (value: unknown): string => {
  if (value === null || value === undefined) return "null"
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`
  if (typeof value === "object") {
    return `{${Object.entries(value).map(([key, item]) => `${pythonJson(key)}: ${pythonJson(item)}`).join(", ")}}`
  }
  if (typeof value === "string") {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`
    )
  }
  return JSON.stringify(value)
}

const userContext = (user: User | null): TemplateContext => ({
  user_name: user?.name ?? "",
  user_preferred_name: (user?.preferredName ?? "").trim().split(/\s+/)[0] ?? "",
  user_pronouns: user?.pronouns ?? "",
  user_timezone: user?.timezone ?? "",
  user_notes: user?.notes ?? "",
  user_context: user?.context ?? ""
})

const identityFields = ["role", "communication_style", "emoji"] as const
const extraIdentityFields = [
  "autonomy_level",
  "verbosity",
  "output_format",
  "update_cadence",
  "purpose",
  "personality",
  "custom_instructions"
] as const

const identityContext = (agent: Agent): TemplateContext => {
  const profile = agent.identityProfile ?? {}
  const context: Record<string, string> = {}
  for (const field of identityFields) {
    context[`identity_${field}`] = profile[field] ?? defaultIdentityProfile[field] ?? ""
  }
  for (const field of extraIdentityFields) context[`identity_${field}`] = profile[field] ?? ""
  return context
}

/** The variables every template of this agent sees. */
export const templateContext = (
  agent: Agent,
  gateway: Gateway,
  board: Board | null,
  sessionKey: string,
  workspace: string,
  token: Redacted.Redacted<string>,
  user: User | null,
  baseUrl: string
): TemplateContext => {
  const common: TemplateContext = {
    agent_name: agent.name,
    agent_id: agent.id,
    session_key: sessionKey,
    base_url: baseUrl,
    auth_token: R.value(token),
    main_session_key: gatewayMainSessionKey(gateway.id),
    workspace_root: gateway.workspaceRoot,
    ...userContext(user),
    ...identityContext(agent)
  }
  if (board === null) return common
  return {
    ...common,
    board_id: board.id,
    board_name: board.name,
    board_type: board.boardType,
    board_objective: board.objective ?? "",
    board_success_metrics: pythonJson(board.successMetrics ?? {}),
    board_target_date: board.targetDate === null ? "" : formatTimestamp(board.targetDate),
    board_goal_confirmed: board.goalConfirmed ? "true" : "false",
    is_board_lead: agent.isBoardLead ? "true" : "false",
    workspace_path: workspace
  }
}

const templateNameFor = (file: string, agent: Agent, isMain: boolean): string => {
  if (isMain) return mainTemplateNames[file] ?? file
  if (file === "HEARTBEAT.md") return agent.isBoardLead ? "HEARTBEAT_LEAD.md" : "HEARTBEAT_AGENT.md"
  return file
}

const renderFile = (file: string, agent: Agent, isMain: boolean, context: TemplateContext) =>
  Effect.gen(function*() {
    const renderer = yield* TemplateRenderer
    if (file === "IDENTITY.md" && agent.identityTemplate !== null && agent.identityTemplate.trim() !== "") {
      return yield* renderer.renderText("identity_template", agent.identityTemplate, context)
    }
    if (file === "SOUL.md" && agent.soulTemplate !== null && agent.soulTemplate.trim() !== "") {
      return yield* renderer.renderText("soul_template", agent.soulTemplate, context)
    }
    return yield* renderer.render(templateNameFor(file, agent, isMain), context)
  }).pipe(Effect.mapError((error) => new ProvisioningFault({ detail: error.message })))

/** Renders the agent's workspace, with the credentials block moved into the gateway's token file. */
export const renderWorkspace = Effect.fn("renderWorkspace")(function*(
  agent: Agent,
  isMain: boolean,
  context: TemplateContext,
  capabilities: GatewayCapabilities
) {
  const rendered = new Map<string, string>()
  for (const file of workspaceFiles) rendered.set(file, yield* renderFile(file, agent, isMain, context))
  if (capabilities.tokenFile !== "TOOLS.md") {
    const credentials = rendered.get("TOOLS.md") ?? ""
    const carrier = rendered.get(capabilities.tokenFile) ?? ""
    rendered.set(capabilities.tokenFile, `${carrier}\n\n## Mission Control credentials\n\n${credentials}`.trim())
  }
  return rendered
})

export const includeBootstrap = (
  action: string,
  forceBootstrap: boolean,
  existing: ReadonlyMap<string, { readonly missing: boolean }>
): boolean => {
  if (action !== "update" || forceBootstrap) return true
  // An update rewrites BOOTSTRAP.md only while the agent has not finished it (the file is still there).
  const entry = existing.get("BOOTSTRAP.md")
  return entry !== undefined && !entry.missing
}

/** The gateway's copy of a file: whether it holds `content`, and the hash of what it holds (to write against). */
interface ReadForWrite {
  readonly same: boolean
  readonly current: string | null
  readonly hash: string | null
}

const readForWrite = (
  client: GatewayClient,
  gatewayAgentId: string,
  name: string,
  content: string
): Effect.Effect<ReadForWrite, GatewayError> =>
  client.readFile(gatewayAgentId, name).pipe(
    Effect.flatMap(Option.match({
      onNone: (): Effect.Effect<ReadForWrite> => Effect.succeed({ same: false, current: null, hash: null }),
      onSome: (file) =>
        Effect.gen(function*() {
          // Not `file.hash ?? (yield* …)`: the CJS build turns `??` into a closure, where `yield` is not allowed.
          const hash = file.hash === null ? yield* sha256Hex(file.content) : file.hash
          const same = file.hash === null ? file.content === content : (yield* sha256Hex(content)) === file.hash
          return { same, current: file.content, hash }
        })
    }))
  )

/**
 * Writes what differs between the rendered workspace and the gateway's copy. Files the gateway does not accept are
 * skipped and reported, except the token file, without which the token round trip breaks.
 */
const writeWorkspace = Effect.fn("writeWorkspace")(function*(
  client: GatewayClient,
  gatewayAgentId: string,
  rendered: ReadonlyMap<string, string>,
  options: LifecycleOptions,
  isMain: boolean,
  capabilities: GatewayCapabilities
) {
  const existing = yield* client.listFiles(gatewayAgentId)
  const preserved = isMain ? preservedMainFiles : preservedBoardFiles
  type Outcome = "kept" | "written" | "unsupported"
  const converge = ([name, content]: readonly [string, string]): Effect.Effect<Outcome, GatewayError> =>
    Effect.gen(function*() {
      if (content === "") return "kept"
      if (name === "BOOTSTRAP.md" && !includeBootstrap(options.action, options.forceBootstrap, existing)) return "kept"
      if (capabilities.writableFiles !== null && !capabilities.writableFiles.has(name)) return "unsupported"
      const entry = existing.get(name)
      const present = entry !== undefined && !entry.missing
      const keepsPreserved = options.action === "update" && options.overwritePreserved !== true && preserved.has(name)
      if (keepsPreserved && present && entry.size !== 0) return "kept"
      const read = present ? yield* readForWrite(client, gatewayAgentId, name, content) : undefined
      if (read?.same === true) return "kept"
      // Listed empty, but the agent has written it since.
      if (keepsPreserved && read !== undefined && read.current !== null && read.current !== "") return "kept"
      const write = (expectedHash: string | null) =>
        client.writeFile(gatewayAgentId, name, content, { expectedHash }).pipe(Effect.as("written" as const))
      return yield* write(read?.hash ?? null).pipe(
        // The agent changed the file after it was read: read it again and decide once more. A preserved file the
        // agent wrote is kept; any other file gets ours, written against what the gateway holds now.
        Effect.catchIf((error) => error.reason === "Conflict", () =>
          Effect.gen(function*() {
            const again = yield* readForWrite(client, gatewayAgentId, name, content)
            if (again.same) return "kept" as const
            const agentWrote = again.current !== null && again.current !== ""
            if (preserved.has(name) && options.overwritePreserved !== true && agentWrote) return "kept" as const
            return yield* write(again.hash)
          })),
        Effect.catchIf(
          (error) => error.reason === "UnsupportedFile" && name !== capabilities.tokenFile,
          () => Effect.succeed("unsupported" as const)
        )
      )
    })
  // Files are independent: compared and written a few at a time, so an agent costs a few round trips, not one per
  // file. Outcomes are collected in the rendered order.
  const files = [...rendered]
  const outcomes = yield* Effect.forEach(files, converge, { concurrency: (yield* Settings).workspaceFileConcurrency })
  const written = files.filter((_, index) => outcomes[index] === "written").map(([name]) => name)
  const unsupported = files.filter((_, index) => outcomes[index] === "unsupported").map(([name]) => name)
  return { written, unsupported }
})

/** Creates the gateway agent unless it exists, then waits until the gateway has loaded it and updates it. */
const ensureGatewayAgent = (client: GatewayClient, gatewayAgentId: string, name: string, workspace: string) =>
  Effect.gen(function*() {
    const settings = yield* Settings
    yield* client.createAgent({ agentId: gatewayAgentId, workspace }).pipe(
      Effect.catchIf((error) => error.reason === "AlreadyExists", () => Effect.void)
    )
    yield* client.updateAgent({ agentId: gatewayAgentId, name, workspace }).pipe(
      retryWhileNotVisible(settings.visibilityWait)
    )
  })

/**
 * Converges an agent's gateway state with its record: the gateway agent exists (created once, never twice), its
 * heartbeat settings are set (no patch when unchanged), and the workspace files that differ are written. Then the
 * session is reset and the agent woken when asked. Safe to repeat; callers hold the agent's lock.
 */
export const applyAgentLifecycle = Effect.fn("applyAgentLifecycle")(function*(
  agent: Agent,
  gateway: Gateway,
  board: Board | null,
  token: Redacted.Redacted<string>,
  options: LifecycleOptions,
  idempotencyKey: string
) {
  yield* annotate({
    ...agentAttributes(agent),
    [AttributeKey.organizationId]: gateway.organizationId,
    [AttributeKey.provisionAction]: options.action
  })
  if (gateway.url.trim() === "") return yield* new ProvisioningFault({ detail: "Gateway url is required" })
  if (board === null && agent.boardId !== null) {
    return yield* new ProvisioningFault({ detail: "board is required for board-scoped agent lifecycle" })
  }
  const isMain = board === null
  const sessionKey = provisioningSessionKey(agent, gateway)
  const keyed = { openclawSessionId: sessionKey, name: agent.name }
  const gatewayAgentId = isMain ? gatewayMainAgentKey(gateway.id) : agentKey(keyed)
  const workspace = workspacePath(keyed, gateway.workspaceRoot)
  if (workspace === undefined) {
    return yield* new ProvisioningFault({ detail: "gateway_workspace_root is required" })
  }
  const settings = yield* Settings
  const controlPlane = yield* GatewayControlPlane
  const target = yield* gatewayTarget(gateway).pipe(
    Effect.mapError((error) => new ProvisioningFault({ detail: error.detail }))
  )
  const client = yield* controlPlane.client(target)
  const heartbeat: HeartbeatEntry = { agentId: gatewayAgentId, workspace, heartbeat: effectiveHeartbeat(agent) }

  const converge: Effect.Effect<LifecycleReport, GatewayError | ProvisioningFault, TemplateRenderer> = Effect.gen(
    function*() {
      const capabilities = yield* client.capabilities
      yield* ensureGatewayAgent(client, gatewayAgentId, agent.name, workspace)
      if (options.patchHeartbeat) yield* client.patchHeartbeats([heartbeat])
      const context = templateContext(
        agent,
        gateway,
        board,
        sessionKey,
        workspace,
        token,
        options.user,
        settings.baseUrl
      )
      const rendered = yield* renderWorkspace(agent, isMain, context, capabilities)
      const { unsupported, written } = yield* writeWorkspace(
        client,
        gatewayAgentId,
        rendered,
        options,
        isMain,
        capabilities
      )
      if (options.onWorkspaceWritten !== undefined) yield* options.onWorkspaceWritten
      if (options.resetSession) {
        yield* client.resetSession(sessionKey).pipe(
          Effect.catchIf((error) => error.reason === "NotFound", () => Effect.void)
        )
      }
      if (options.wake) {
        yield* client.ensureSession(sessionKey, agent.name === "" ? undefined : agent.name)
        // 2026.9.6 refuses runs while it reloads the config our writes changed ("prepared model catalog owner config
        // was replaced"), for minutes in a burst of creates; a retry of the whole convergence would write, and so
        // reload, once more before each wake.
        const wakeup = client.sendChat({
          sessionKey,
          message: wakeupMessage(agent.name, options),
          deliver: options.deliverWakeup,
          idempotencyKey
        })
        yield* options.wakeRetriedByCheckIn === true
          ? wakeup.pipe(
            Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 3, while: isTransientGatewayError }),
            Effect.catchIf(
              isTransientGatewayError,
              (error) =>
                Effect.logWarning("wakeup not delivered for now; the check-in sweep wakes the agent", error.detail)
            )
          )
          : wakeup
      }
      return { sessionKey, gatewayAgentId, workspace, heartbeat, filesWritten: written, unsupportedFiles: unsupported }
    }
  )
  return yield* converge
})

/** The wake-up chat message of a provisioned or updated agent. */
export const wakeupMessage = (name: string, options: Pick<LifecycleOptions, "action" | "wakeupVerb">): string => {
  const verb = options.wakeupVerb ?? (options.action === "provision" ? "provisioned" : "updated")
  return `Hello ${name}. Your workspace has been ${verb}.\n\n` +
    "Start the agent, run BOOT.md, and if BOOTSTRAP.md exists run it once then delete it. " +
    "Begin heartbeats after startup."
}

/** Removes an agent from its gateway (a missing agent or session is fine) and returns its workspace path. */
export const deleteAgentLifecycle = Effect.fn("deleteAgentLifecycle")(function*(agent: Agent, gateway: Gateway) {
  yield* annotate({ ...agentAttributes(agent), [AttributeKey.organizationId]: gateway.organizationId })
  if (gateway.url.trim() === "") return yield* new ProvisioningFault({ detail: "Gateway url is required" })
  const workspace = workspacePath(agent, gateway.workspaceRoot)
  if (workspace === undefined) return yield* new ProvisioningFault({ detail: "gateway_workspace_root is required" })
  const controlPlane = yield* GatewayControlPlane
  const target = yield* gatewayTarget(gateway).pipe(
    Effect.mapError((error) => new ProvisioningFault({ detail: error.detail }))
  )
  const client = yield* controlPlane.client(target)
  const isMain = agent.boardId === null
  const gatewayAgentId = isMain ? gatewayMainAgentKey(gateway.id) : agentKey(agent)
  yield* client.deleteAgent(gatewayAgentId, { deleteFiles: true }).pipe(
    Effect.catchIf((error) => error.reason === "NotFound", () => Effect.void)
  )
  const sessionKey = provisioningSessionKey(agent, gateway)
  yield* client.deleteSession(sessionKey).pipe(
    Effect.catchIf((error) => error.reason === "NotFound" || error.reason === "MainSession", () => Effect.void)
  )
  return workspace
})
