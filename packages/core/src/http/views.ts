import { DateTime, Effect, Schema } from "effect"
import { computedStatus } from "../domain/identity.js"
import { normalizeUuid } from "../domain/ids.js"
import type { Agent, Gateway } from "../domain/models.js"
import type { PageResult } from "../domain/models.js"
import type { AgentRead, GatewayRead } from "../domain/wire.js"
import { toAgentRead, toGatewayRead } from "../domain/wire.js"
import type { CoreError } from "../errors.js"
import { NotFound, reason } from "../errors.js"
import { defaultPage } from "./Api.js"
import type { ErrorResponse } from "./errors.js"
import { toErrorResponse } from "./errors.js"
import { RequestId } from "./middleware.js"

// The edge: programs answer domain values and core errors; routes answer the reference's wire shapes and bodies.

/** A program's core errors answered with the reference's error bodies, the request's id in them. */
export const respond = <A, R>(
  program: Effect.Effect<A, CoreError, R>
): Effect.Effect<A, ErrorResponse, R | RequestId> =>
  Effect.catch(
    program,
    (error) => Effect.flatMap(Effect.service(RequestId), (id) => Effect.fail(toErrorResponse(error, id)))
  )

/** A listing's page: the query's `limit` and `offset`, else the defaults. */
export const pageOf = (query: { readonly limit?: number | undefined; readonly offset?: number | undefined }) => ({
  limit: query.limit ?? defaultPage.limit,
  offset: query.offset ?? defaultPage.offset
})

/** `{"ok": true}`. */
export const ok = { ok: true } as const

/** An agent as the API shows it now. */
export const agentView = (agent: Agent): Effect.Effect<AgentRead> =>
  Effect.map(DateTime.now, (now) => toAgentRead(agent, now))

/** A page of agents as the API shows them now. */
export const agentPageView = (page: PageResult<Agent>) =>
  Effect.map(DateTime.now, (now) => ({ ...page, items: page.items.map((agent) => toAgentRead(agent, now)) }))

/** A page of gateways as the API shows them. */
export const gatewayPageView = (page: PageResult<Gateway>): PageResult<GatewayRead> => ({
  ...page,
  items: page.items.map(toGatewayRead)
})

/**
 * An id of a path parameter the reference declares as a string (`agent_id`, `board_id`): a malformed one names
 * nothing, so it is the same 404 as an unknown one.
 */
export const pathId = <Id extends string>(schema: Schema.Codec<Id, string>, text: string, detail = reason.notFound) => {
  const normalized = normalizeUuid(text)
  return normalized === undefined
    ? Effect.fail(new NotFound({ detail }))
    : Schema.decodeEffect(schema)(normalized).pipe(Effect.mapError(() => new NotFound({ detail })))
}

// Open streams share each change's agent; its JSON is built once per computed status, for all of them.
const agentJson = new WeakMap<Agent, { readonly status: string; readonly json: string }>()

/** The `data` of an agent's SSE frame at `at`: `{"agent": AgentRead}`, serialised once for every open stream. */
export const agentFrameData = (agent: Agent, at: DateTime.Utc): string => {
  const status = computedStatus(agent, at)
  const cached = agentJson.get(agent)
  if (cached !== undefined && cached.status === status) return cached.json
  const json = JSON.stringify({ agent: toAgentRead(agent, at) })
  agentJson.set(agent, { status, json })
  return json
}
