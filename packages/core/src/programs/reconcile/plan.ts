// The reconciler's comparison of one gateway with the database: a dry run that reads and never writes. It lists what
// `applyGatewayReconcile` converges (apply.ts).

import { Effect, Option, Redacted, Schema } from "effect"
import {
  agentKey,
  effectiveHeartbeat,
  gatewayMainAgentKey,
  parseKeyValueLines,
  workspacePath
} from "../../domain/identity.js"
import { AgentId, BoardId, GatewayId } from "../../domain/ids.js"
import type { Agent, Board, Gateway, JsonObject, User } from "../../domain/models.js"
import { annotate, gatewayAttributes } from "../../observability/attributes.js"
import { AgentRepository } from "../../services/AgentRepository.js"
import { AgentTokens, constantTimeEquals, sha256Hex } from "../../services/AgentTokens.js"
import { BoardRepository } from "../../services/BoardRepository.js"
import type {
  GatewayAgentSummary,
  GatewayCapabilities,
  GatewayClient,
  GatewayError,
  GatewayFileEntry,
  HeartbeatEntry
} from "../../services/GatewayControlPlane.js"
import { GatewayControlPlane } from "../../services/GatewayControlPlane.js"
import { GatewayRepository } from "../../services/GatewayRepository.js"
import { OrganizationRepository } from "../../services/OrganizationRepository.js"
import { Settings } from "../../Settings.js"
import { gatewayTarget } from "../access.js"
import { isProvisionPending } from "../provisionAgentRecord.js"
import { retryTransient } from "../retry.js"
import {
  includeBootstrap,
  preservedBoardFiles,
  preservedMainFiles,
  provisioningSessionKey,
  renderWorkspace,
  templateContext
} from "../workspaceLifecycle.js"

/** A Mission Control agent of the database, as the reconciler names it. */
export interface ReconcileAgentRef {
  readonly agentId: AgentId
  readonly agentName: string
  readonly gatewayAgentId: string
}

/** One difference between a gateway and the database, and what converging it means. */
export type ReconcileItem =
  /** A gateway agent named by our key schemes that no database agent (of any gateway) is: deleted only on request. */
  | { readonly kind: "orphan"; readonly gatewayAgentId: string; readonly workspace: string | null }
  /** A database agent of this gateway that the gateway does not have: re-provisioned. */
  | ReconcileAgentRef & { readonly kind: "missing" }
  /** A workspace file that differs from what provisioning writes now, or is missing: re-provisioned. */
  | ReconcileAgentRef & { readonly kind: "file"; readonly file: string; readonly reason: "missing" | "differs" }
  /** The token file carries no token, or not the agent's: re-provisioned with a new token. */
  | ReconcileAgentRef & { readonly kind: "token"; readonly file: string; readonly reason: "missing" | "mismatch" }
  /** Heartbeat settings on the gateway differ from the agent's: patched. */
  | ReconcileAgentRef & {
    readonly kind: "heartbeat"
    readonly current: JsonObject | null
    readonly wanted: JsonObject
  }

export type ReconcileItemKind = ReconcileItem["kind"]

/** A gateway agent that is not ours (another naming, or another gateway row's): listed, never touched. */
export interface ForeignAgent {
  readonly gatewayAgentId: string
  readonly name: string | null
  readonly workspace: string | null
}

/** What a gateway differs in from the database. Empty `items` means nothing to do. */
export interface ReconcilePlan {
  readonly gatewayId: GatewayId
  readonly items: ReadonlyArray<ReconcileItem>
  readonly foreign: ReadonlyArray<ForeignAgent>
  /** Agents whose provisioning is under way or unfinished: provisioning's to finish, not judged here. */
  readonly pending: ReadonlyArray<ReconcileAgentRef>
}

/** A database agent as its gateway addresses it, with what provisioning needs to render it. */
export interface Expected extends ReconcileAgentRef {
  readonly agent: Agent
  readonly board: Board | null
  readonly workspace: string
}

const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
const mainScheme = new RegExp(`^mc-gateway-(${uuid})$`, "i")
const leadScheme = new RegExp(`^lead-(${uuid})$`, "i")
const workerScheme = new RegExp(`^mc-(${uuid})$`, "i")

/** The gateway agent id and workspace provisioning uses for this agent (as `applyAgentLifecycle` derives them). */
export const addressOf = (agent: Agent, gateway: Gateway) => {
  const keyed = { openclawSessionId: provisioningSessionKey(agent, gateway), name: agent.name }
  const gatewayAgentId = agent.boardId === null ? gatewayMainAgentKey(gateway.id) : agentKey(keyed)
  return { gatewayAgentId, workspace: workspacePath(keyed, gateway.workspaceRoot) }
}

/**
 * Whether a gateway agent of our naming belongs to no database record at all (an orphan of this gateway), or to a
 * record of another gateway row (foreign: another Mission Control gateway on the same OpenClaw gateway).
 */
const isOrphan = Effect.fnUntraced(function*(gatewayAgentId: string, gateway: Gateway) {
  const main = mainScheme.exec(gatewayAgentId)?.[1]
  if (main !== undefined) {
    if (main.toLowerCase() === gateway.id.toLowerCase()) return true
    const id = Schema.decodeUnknownOption(GatewayId)(main)
    if (Option.isNone(id)) return true
    return Option.isNone(yield* Effect.flatMap(GatewayRepository, (gateways) => gateways.findById(id.value)))
  }
  const lead = leadScheme.exec(gatewayAgentId)?.[1]
  if (lead !== undefined) {
    const id = Schema.decodeUnknownOption(BoardId)(lead)
    if (Option.isNone(id)) return true
    const board = yield* Effect.flatMap(BoardRepository, (boards) => boards.findById(id.value))
    return Option.isNone(board) || board.value.gatewayId === gateway.id
  }
  const worker = workerScheme.exec(gatewayAgentId)?.[1]
  if (worker !== undefined) {
    const id = Schema.decodeUnknownOption(AgentId)(worker)
    if (Option.isNone(id)) return true
    const agent = yield* Effect.flatMap(AgentRepository, (agents) => agents.findById(id.value))
    return Option.isNone(agent)
  }
  return false
})

// Files whose content is the agent's (or the provisioning user's: USER.md shows whoever provisioned) once present:
// judged only when missing or empty.
const judgedWhenMissing = (isMain: boolean): ReadonlySet<string> =>
  new Set([...(isMain ? preservedMainFiles : preservedBoardFiles), "USER.md"])

type FileVerdict = "same" | "missing" | "differs"

const compareFile = (
  client: GatewayClient,
  gatewayAgentId: string,
  name: string,
  content: string,
  entry: GatewayFileEntry | undefined
): Effect.Effect<FileVerdict, GatewayError> =>
  Effect.gen(function*() {
    if (entry?.missing === true) return "missing"
    // A listed hash saves the read.
    if (entry !== undefined && entry.hash !== null) {
      return (yield* sha256Hex(content)) === entry.hash ? "same" : "differs"
    }
    const read = yield* client.readFile(gatewayAgentId, name)
    if (Option.isNone(read)) return "missing"
    const file = read.value
    const same = file.hash === null ? file.content === content : (yield* sha256Hex(content)) === file.hash
    return same ? "same" : "differs"
  })

/** The token file's `AUTH_TOKEN`, or "" when the file is missing or has none. */
const readToken = (
  client: GatewayClient,
  gatewayAgentId: string,
  tokenFile: string,
  entry: GatewayFileEntry | undefined
) =>
  entry?.missing === true
    ? Effect.succeed({ token: "", content: null })
    : client.readFile(gatewayAgentId, tokenFile).pipe(Effect.map(Option.match({
      onNone: () => ({ token: "", content: null }),
      onSome: (file) => ({ token: parseKeyValueLines(file.content).get("AUTH_TOKEN") ?? "", content: file.content })
    })))

/** The items of one agent the gateway has: its token, then (with the token good) its files. */
const inspectAgent = Effect.fnUntraced(function*(
  client: GatewayClient,
  capabilities: GatewayCapabilities,
  gateway: Gateway,
  expected: Expected,
  user: User | null
) {
  const settings = yield* Settings
  const tokens = yield* AgentTokens
  const ref: ReconcileAgentRef = {
    agentId: expected.agentId,
    agentName: expected.agentName,
    gatewayAgentId: expected.gatewayAgentId
  }
  const files = yield* client.listFiles(expected.gatewayAgentId)
  const tokenFile = capabilities.tokenFile
  const { content: tokenContent, token } = yield* readToken(
    client,
    expected.gatewayAgentId,
    tokenFile,
    files.get(tokenFile)
  )
  // Without the agent's own token nothing can be rendered as provisioning would: re-provisioning rewrites it all.
  if (token === "") {
    return [{ ...ref, kind: "token", file: tokenFile, reason: "missing" }] satisfies Array<ReconcileItem>
  }
  const digest = yield* tokens.digest(token)
  if (expected.agent.agentTokenDigest === null || !constantTimeEquals(digest, expected.agent.agentTokenDigest)) {
    return [{ ...ref, kind: "token", file: tokenFile, reason: "mismatch" }] satisfies Array<ReconcileItem>
  }
  const isMain = expected.board === null
  const sessionKey = provisioningSessionKey(expected.agent, gateway)
  const context = templateContext(
    expected.agent,
    gateway,
    expected.board,
    sessionKey,
    expected.workspace,
    Redacted.make(token),
    user,
    settings.baseUrl
  )
  const rendered = yield* renderWorkspace(expected.agent, isMain, context, capabilities)
  const onlyWhenMissing = judgedWhenMissing(isMain)
  const judge = ([name, content]: readonly [string, string]) =>
    Effect.gen(function*() {
      if (content === "") return "same" as const
      if (capabilities.writableFiles !== null && !capabilities.writableFiles.has(name)) return "same" as const
      // An agent that finished its bootstrap deleted BOOTSTRAP.md: an update does not bring it back.
      if (name === "BOOTSTRAP.md" && !includeBootstrap("update", false, files)) return "same" as const
      const entry = files.get(name)
      if (onlyWhenMissing.has(name) && entry !== undefined && !entry.missing && entry.size !== 0) {
        return "same" as const
      }
      if (name === tokenFile) return tokenContent === content ? "same" as const : "differs" as const
      return yield* compareFile(client, expected.gatewayAgentId, name, content, entry).pipe(
        Effect.catchIf((error) => error.reason === "UnsupportedFile", () => Effect.succeed("same" as const))
      )
    })
  const names = [...rendered]
  const verdicts = yield* Effect.forEach(names, judge, { concurrency: settings.workspaceFileConcurrency })
  return names.flatMap(([file], index): Array<ReconcileItem> => {
    const verdict = verdicts[index]
    return verdict === "missing" || verdict === "differs" ? [{ ...ref, kind: "file", file, reason: verdict }] : []
  })
})

/** The agents of a gateway and the gateway's own: the input of a plan. */
interface Survey {
  readonly client: GatewayClient
  readonly capabilities: GatewayCapabilities
  readonly present: ReadonlyMap<string, GatewayAgentSummary>
  readonly expected: ReadonlyArray<Expected>
  readonly pending: ReadonlyArray<ReconcileAgentRef>
  readonly user: User | null
}

const survey = Effect.fnUntraced(function*(gateway: Gateway) {
  const settings = yield* Settings
  const retry = retryTransient(settings.syncRetry)
  const target = yield* gatewayTarget(gateway)
  const client = yield* Effect.flatMap(GatewayControlPlane, (controlPlane) => controlPlane.client(target))
  const capabilities = yield* client.capabilities.pipe(retry)
  const [listed, records, boards, owner] = yield* Effect.all([
    client.listAgents.pipe(retry),
    Effect.flatMap(AgentRepository, (agents) => agents.listByGateway(gateway.id)),
    Effect.flatMap(BoardRepository, (boards) => boards.listByGateway(gateway.id)),
    Effect.flatMap(OrganizationRepository, (organizations) => organizations.findOwnerUser(gateway.organizationId))
  ], { concurrency: 4 })
  const boardsById = new Map(boards.map((board) => [board.id, board]))
  const expected: Array<Expected> = []
  const pending: Array<ReconcileAgentRef> = []
  for (const agent of records) {
    const { gatewayAgentId, workspace } = addressOf(agent, gateway)
    const ref = { agentId: agent.id, agentName: agent.name, gatewayAgentId }
    const board = agent.boardId === null ? null : boardsById.get(agent.boardId)
    // A record being provisioned or deleted is that program's to finish; one without a board or workspace cannot be
    // provisioned at all.
    if (isProvisionPending(agent) || agent.status === "deleting") pending.push(ref)
    else if (board !== undefined && workspace !== undefined) expected.push({ ...ref, agent, board, workspace })
  }
  return {
    client,
    capabilities,
    present: new Map(listed.map((item) => [item.id, item])),
    expected,
    pending,
    user: Option.getOrNull(owner)
  } satisfies Survey
})

/**
 * Compares a gateway with the database without changing either: gateway agents of our naming that no database agent
 * is (orphans), database agents the gateway lacks (missing), workspace files that differ from what provisioning
 * writes now, token files that do not carry the agent's token, and heartbeat settings that differ. Agents of any other
 * naming are listed as foreign. Reads, per agent: its files list, its token file and the files whose hash the list
 * does not give; one `config.get` for all heartbeats.
 */
export const planGatewayReconcile = Effect.fn("planGatewayReconcile")(function*(gateway: Gateway) {
  yield* annotate(gatewayAttributes(gateway))
  const settings = yield* Settings
  const { capabilities, client, expected, pending, present, user } = yield* survey(gateway)
  const retry = retryTransient(settings.syncRetry)
  const known = new Set([...expected, ...pending].map((ref) => ref.gatewayAgentId))

  const orphans: Array<ReconcileItem> = []
  const foreign: Array<ForeignAgent> = []
  for (const item of present.values()) {
    if (known.has(item.id)) continue
    if (yield* isOrphan(item.id, gateway)) {
      orphans.push({ kind: "orphan", gatewayAgentId: item.id, workspace: item.workspace })
    } else foreign.push({ gatewayAgentId: item.id, name: item.name, workspace: item.workspace })
  }

  const onGateway = expected.filter((agent) => present.has(agent.gatewayAgentId))
  const missing = expected.filter((agent) => !present.has(agent.gatewayAgentId)).map((agent): ReconcileItem => ({
    kind: "missing",
    agentId: agent.agentId,
    agentName: agent.agentName,
    gatewayAgentId: agent.gatewayAgentId
  }))
  const perAgent = yield* Effect.forEach(
    onGateway,
    (agent) =>
      inspectAgent(client, capabilities, gateway, agent, user).pipe(
        retry,
        // Deleted between the agents list and its files list: as missing as if it had never been listed.
        Effect.catchIf(
          (error) => error._tag === "GatewayError" && error.reason === "NotFound",
          () =>
            Effect.succeed<ReadonlyArray<ReconcileItem>>([{
              kind: "missing",
              agentId: agent.agentId,
              agentName: agent.agentName,
              gatewayAgentId: agent.gatewayAgentId
            }])
        )
      ),
    { concurrency: settings.syncConcurrency }
  )
  const heartbeats: ReadonlyArray<HeartbeatEntry> = onGateway.map((agent) => ({
    agentId: agent.gatewayAgentId,
    workspace: agent.workspace,
    heartbeat: effectiveHeartbeat(agent.agent)
  }))
  const drift = yield* client.heartbeatDrift(heartbeats).pipe(retry)
  const byGatewayAgent = new Map(onGateway.map((agent) => [agent.gatewayAgentId, agent]))
  const heartbeatItems = drift.flatMap((entry): Array<ReconcileItem> => {
    const agent = byGatewayAgent.get(entry.agentId)
    return agent === undefined ? [] : [{
      kind: "heartbeat",
      agentId: agent.agentId,
      agentName: agent.agentName,
      gatewayAgentId: agent.gatewayAgentId,
      current: entry.current,
      wanted: entry.wanted
    }]
  })
  const items = [...orphans, ...missing, ...perAgent.flat(), ...heartbeatItems]
  return { gatewayId: gateway.id, items, foreign, pending } satisfies ReconcilePlan
})

/** The agents of a plan's items that re-provisioning converges (missing, file, token), once each. */
export const agentsToReprovision = (
  plan: ReconcilePlan
): ReadonlyArray<ReconcileAgentRef & { readonly missing: boolean }> => {
  const seen = new Map<AgentId, ReconcileAgentRef & { readonly missing: boolean }>()
  for (const item of plan.items) {
    if (item.kind !== "missing" && item.kind !== "file" && item.kind !== "token") continue
    const previous = seen.get(item.agentId)
    seen.set(item.agentId, {
      agentId: item.agentId,
      agentName: item.agentName,
      gatewayAgentId: item.gatewayAgentId,
      missing: (previous?.missing ?? false) || item.kind === "missing"
    })
  }
  return [...seen.values()]
}
