import { Effect, Option, Redacted } from "effect"
import {
  defaultHeartbeatConfig,
  gatewayMainAgentKey,
  gatewayMainAgentName,
  gatewayMainIdentityProfile,
  gatewayMainSessionKey
} from "../domain/identity.js"
import type { AgentId, GatewayId } from "../domain/ids.js"
import type { User } from "../domain/models.js"
import { Gateway } from "../domain/models.js"
import { pendingAgent } from "../domain/pendingAgent.js"
import type { GatewayCreate, GatewayUpdate } from "../domain/wire.js"
import { Conflict, Unprocessable } from "../errors.js"
import { annotate, AttributeKey, gatewayAttributes } from "../observability/attributes.js"
import { ActivityRepository } from "../services/ActivityRepository.js"
import type { AgentPatch } from "../services/AgentRepository.js"
import { AgentRepository } from "../services/AgentRepository.js"
import { GatewayControlPlane } from "../services/GatewayControlPlane.js"
import { GatewayRepository } from "../services/GatewayRepository.js"
import { OrganizationRepository } from "../services/OrganizationRepository.js"
import { TaskRepository } from "../services/TaskRepository.js"
import { Transactor } from "../services/Transactor.js"
import { gatewayTarget, requireGatewayInOrganization, requireOrgAdmin } from "./access.js"
import { conflictOnDuplicate, newUuid, now, pageResult } from "./common.js"
import { requireSupportedGateway } from "./gatewayCheck.js"
import { isProvisionPending, provisionAgentRecord } from "./provisionAgentRecord.js"

const tokenOf = (token: string | null | undefined) => {
  const trimmed = token?.trim() ?? ""
  return trimmed === "" ? null : Redacted.make(trimmed)
}

/** Gateways of the admin's organization, newest first. */
export const listGateways = Effect.fn("listGateways")(function*(
  user: User | null,
  page: { readonly limit: number; readonly offset: number }
) {
  const context = yield* requireOrgAdmin(user)
  const gateways = yield* GatewayRepository
  return pageResult(yield* gateways.listByOrganization(context.organization.id, page), page)
})

/** One gateway of the admin's organization. */
export const getGateway = Effect.fn("getGateway")(function*(user: User | null, gatewayId: GatewayId) {
  yield* annotate({ [AttributeKey.gatewayId]: gatewayId })
  const context = yield* requireOrgAdmin(user)
  return yield* requireGatewayInOrganization(gatewayId, context)
})

/** What `ensureGatewayMainAgent` does once the record is right. */
export interface MainAgentOptions {
  readonly action: "provision" | "update"
  readonly wake: boolean
}

const gatewayHasMainAgent = (gateway: Gateway) =>
  Effect.gen(function*() {
    if (gateway.url.trim() === "") return false
    const controlPlane = yield* GatewayControlPlane
    const client = yield* controlPlane.client(yield* gatewayTarget(gateway))
    return yield* client.listFiles(gatewayMainAgentKey(gateway.id)).pipe(
      Effect.as(true),
      Effect.catch((error) => Effect.succeed(error.reason !== "NotFound"))
    )
  }).pipe(Effect.catchTag("Unprocessable", () => Effect.succeed(false)))

/**
 * Makes sure the gateway has its gateway-main agent record, and that it is provisioned when the record changed, has
 * no token, or the gateway does not know it.
 */
export const ensureGatewayMainAgent = Effect.fn("ensureGatewayMainAgent")(function*(
  gateway: Gateway,
  user: User | null,
  options: MainAgentOptions
) {
  yield* annotate(gatewayAttributes(gateway))
  const agents = yield* AgentRepository
  const at = yield* now
  const name = gatewayMainAgentName(gateway.name)
  const sessionKey = gatewayMainSessionKey(gateway.id)
  let changed = false
  let main = Option.getOrNull(yield* agents.findGatewayMain(gateway.id))
  if (main === null) {
    const candidate = pendingAgent({
      id: yield* newUuid<AgentId>(),
      boardId: null,
      gatewayId: gateway.id,
      name,
      openclawSessionId: sessionKey,
      identityProfile: gatewayMainIdentityProfile,
      provisionAction: options.action
    }, at)
    const inserted = yield* agents.insert(candidate).pipe(
      Effect.as(true),
      Effect.catchIf(
        (error) => error._tag === "DuplicateAgent" && error.constraint === "gateway_main",
        () => Effect.succeed(false)
      ),
      conflictOnDuplicate
    )
    main = inserted ? candidate : Option.getOrNull(yield* agents.findGatewayMain(gateway.id))
    if (main === null) return yield* new Conflict({ detail: "This gateway already has a gateway agent." })
    changed = inserted
  } else {
    const patch: { -readonly [K in keyof AgentPatch]: AgentPatch[K] } = {}
    if (main.name !== name) patch.name = name
    if (main.openclawSessionId !== sessionKey) patch.openclawSessionId = sessionKey
    if (main.isBoardLead) patch.isBoardLead = false
    if (main.heartbeatConfig === null) patch.heartbeatConfig = defaultHeartbeatConfig()
    if (main.identityProfile === null) patch.identityProfile = gatewayMainIdentityProfile
    if (main.status === "") patch.status = "provisioning"
    if (Object.keys(patch).length > 0) {
      changed = true
      patch.updatedAt = at
      main = Option.getOrElse(
        yield* agents.update(main.id, patch).pipe(conflictOnDuplicate),
        () => main!
      )
    }
  }
  yield* annotate({ [AttributeKey.agentId]: main.id })
  const known = yield* gatewayHasMainAgent(gateway)
  if (!changed && !isProvisionPending(main) && known) return main
  let templateUser = user
  if (templateUser === null) {
    const owner = yield* Effect.flatMap(OrganizationRepository, (orgs) => orgs.findOwnerUser(gateway.organizationId))
    templateUser = Option.getOrNull(owner)
  }
  if (templateUser === null) {
    return yield* new Unprocessable({
      detail: "Organization owner not found (required for gateway agent USER.md rendering)."
    })
  }
  return yield* provisionAgentRecord(main.id, {
    action: options.action,
    gateway,
    board: null,
    user: templateUser,
    wake: options.wake,
    deliverWakeup: true,
    resetSession: false
  })
})

/** Registers a gateway for the admin's organization and provisions its gateway-main agent. */
export const createGateway = Effect.fn("createGateway")(function*(user: User | null, payload: GatewayCreate) {
  const context = yield* requireOrgAdmin(user)
  const gateways = yield* GatewayRepository
  const at = yield* now
  const gateway = new Gateway({
    id: yield* newUuid<GatewayId>(),
    organizationId: context.organization.id,
    name: payload.name,
    url: payload.url,
    token: tokenOf(payload.token),
    workspaceRoot: payload.workspaceRoot,
    allowInsecureTls: payload.allowInsecureTls,
    disableDevicePairing: payload.disableDevicePairing,
    createdAt: at,
    updatedAt: at
  })
  yield* annotate(gatewayAttributes(gateway))
  yield* requireSupportedGateway(yield* gatewayTarget(gateway), "Gateway provision failed")
  yield* gateways.insert(gateway)
  yield* ensureGatewayMainAgent(gateway, context.user, { action: "provision", wake: true })
  return gateway
})

/**
 * Changes a gateway and re-provisions its gateway-main agent. A change of how to reach it (URL, token, TLS or
 * pairing option) is checked first, as on create.
 */
export const updateGateway = Effect.fn("updateGateway")(function*(
  user: User | null,
  gatewayId: GatewayId,
  payload: GatewayUpdate
) {
  yield* annotate({ [AttributeKey.gatewayId]: gatewayId })
  const context = yield* requireOrgAdmin(user)
  const existing = yield* requireGatewayInOrganization(gatewayId, context)
  const gateways = yield* GatewayRepository
  const gateway = new Gateway({
    ...existing,
    name: payload.name ?? existing.name,
    url: payload.url ?? existing.url,
    workspaceRoot: payload.workspaceRoot ?? existing.workspaceRoot,
    token: payload.token === undefined ? existing.token : tokenOf(payload.token),
    allowInsecureTls: payload.allowInsecureTls ?? existing.allowInsecureTls,
    disableDevicePairing: payload.disableDevicePairing ?? existing.disableDevicePairing,
    updatedAt: yield* now
  })
  const reconnects = payload.url !== undefined || payload.token !== undefined ||
    payload.allowInsecureTls !== undefined || payload.disableDevicePairing !== undefined
  if (reconnects && gateway.url.trim() !== "") {
    yield* requireSupportedGateway(yield* gatewayTarget(gateway), "Gateway compatibility check failed")
  }
  yield* gateways.update(gateway)
  yield* ensureGatewayMainAgent(gateway, context.user, { action: "update", wake: true })
  return gateway
})

/** Deletes a gateway that no board uses any more, with its gateway-main agent records (no gateway call). */
export const deleteGateway = Effect.fn("deleteGateway")(function*(user: User | null, gatewayId: GatewayId) {
  yield* annotate({ [AttributeKey.gatewayId]: gatewayId })
  const context = yield* requireOrgAdmin(user)
  const gateway = yield* requireGatewayInOrganization(gatewayId, context)
  const gateways = yield* GatewayRepository
  if (yield* gateways.hasBoards(gateway.id)) {
    return yield* new Conflict({ detail: "Gateway is still used by one or more boards." })
  }
  const agents = yield* AgentRepository
  const tasks = yield* TaskRepository
  const activity = yield* ActivityRepository
  const transactor = yield* Transactor
  yield* transactor.withTransaction(Effect.gen(function*() {
    const at = yield* now
    for (const agent of yield* agents.listByGateway(gateway.id)) {
      yield* tasks.releaseAgentTasks(agent.id, at)
      yield* activity.detachAgent(agent.id)
      yield* agents.delete(agent.id)
    }
    yield* gateways.delete(gateway.id)
  }))
}, Effect.asVoid)
