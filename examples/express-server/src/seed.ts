import {
  addMember,
  createBoard,
  createGateway,
  createOrganization,
  ensureBoardLeadAgent,
  GatewayControlPlane,
  GatewayRepository,
  gatewayTarget,
  parseKeyValueLines
} from "@mission-control/core"
import type { BoardId, GatewayId } from "@mission-control/core"
import { Effect, Option } from "effect"
import type { DemoUserTokens } from "./app.js"

/** What the demo prints about one organization. */
export interface SeededOrganization {
  readonly id: string
  readonly name: string
  readonly users: {
    readonly owner: { readonly id: string; readonly token: string }
    readonly member: { readonly id: string; readonly token: string }
  }
  readonly board: { readonly id: string }
  readonly gateway: { readonly id: string; readonly url: string; readonly simulator: boolean }
  readonly lead: { readonly id: string; readonly token: string | null }
}

/** The gateway one organization is seeded on. */
export interface DemoGateway {
  readonly url: string
  readonly token: string | null
  /** A gateway simulator the example started, rather than the real gateway at GATEWAY_URL. */
  readonly simulator: boolean
}

/** Reads the lead's token back from its workspace, as template sync does: the only place a raw token lives. */
const readLeadToken = (gatewayId: GatewayId, boardId: BoardId) =>
  Effect.gen(function*() {
    const gateways = yield* GatewayRepository
    const gateway = Option.getOrThrow(yield* gateways.findById(gatewayId))
    const controlPlane = yield* GatewayControlPlane
    const client = yield* controlPlane.client(yield* gatewayTarget(gateway))
    const capabilities = yield* client.capabilities
    const file = yield* client.readFile(`lead-${boardId}`, capabilities.tokenFile)
    return Option.isSome(file) ? parseKeyValueLines(file.value.content).get("AUTH_TOKEN") ?? null : null
  }).pipe(Effect.orElseSucceed(() => null))

/** One organization: an owner, a member without board access, a gateway (its agent provisioned), a board, its lead. */
const seedOrganization = (name: string, gateway: DemoGateway, tokens: DemoUserTokens) =>
  Effect.gen(function*() {
    const person = (displayName: string) => ({
      email: `${displayName.toLowerCase().replace(/\s+/g, ".")}@${name.toLowerCase()}.example`,
      name: displayName,
      preferredName: displayName.split(" ")[0] ?? null,
      timezone: "UTC"
    })
    const { organization, owner } = yield* createOrganization({ name, owner: person(`${name} Owner`) })
    const { user: member } = yield* addMember(organization.id, person(`${name} Member`), { role: "member" })
    // Named after the organization alone: core names the gateway's own agent "<gateway name> Gateway Agent".
    const created = yield* createGateway(owner, {
      name,
      url: gateway.url,
      workspaceRoot: `~/.openclaw/${name.toLowerCase()}`,
      allowInsecureTls: false,
      disableDevicePairing: false,
      ...(gateway.token === null ? {} : { token: gateway.token })
    })
    const board = yield* createBoard(owner, {
      name: `${name} Launch`,
      slug: `${name.toLowerCase()}-launch`,
      description: "Demo board",
      gatewayId: created.id,
      objective: "Ship the demo",
      successMetrics: { demo: "works" },
      goalConfirmed: true
    })
    const lead = yield* ensureBoardLeadAgent(board, owner)
    return {
      id: organization.id,
      name,
      users: {
        owner: { id: owner.id, token: tokens.add(owner.id) },
        member: { id: member.id, token: tokens.add(member.id) }
      },
      board: { id: board.id },
      gateway: { id: created.id, url: gateway.url, simulator: gateway.simulator },
      lead: { id: lead.agent.id, token: yield* readLeadToken(created.id, board.id) }
    } satisfies SeededOrganization
  })

/**
 * The demo: two organizations, each on its own gateway. Never one gateway for both: its token drives every agent on
 * it, so one organization's admin could drive the other's agents.
 */
export const seedDemo = (
  gateways: { readonly acme: DemoGateway; readonly globex: DemoGateway },
  tokens: DemoUserTokens
) =>
  Effect.gen(function*() {
    if (gateways.acme.url === gateways.globex.url) {
      return yield* Effect.die(new Error("The demo organizations must not share a gateway"))
    }
    return [
      yield* seedOrganization("Acme", gateways.acme, tokens),
      yield* seedOrganization("Globex", gateways.globex, tokens)
    ]
  })
