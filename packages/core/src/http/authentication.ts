import { Effect, Layer, Option } from "effect"
import type { HttpServerRequest } from "effect/http"
import { HttpServerRequest as Request } from "effect/http"
import type { Agent } from "../domain/models.js"
import type { CoreError } from "../errors.js"
import { reason, TooManyRequests, Unauthorized } from "../errors.js"
import { agentTokenFromHeaders, authenticateAgent } from "../programs/agentAuth.js"
import { Actor } from "../programs/common.js"
import type { MissionControlServices } from "../services/MissionControlServices.js"
import type { RateLimit } from "../services/RateLimitStore.js"
import { makeMemory as makeMemoryRateLimitStore, RateLimitStore } from "../services/RateLimitStore.js"
import {
  ActorAuthentication,
  AgentAuthentication,
  CurrentActor,
  CurrentAgent,
  CurrentUser,
  UserAuthentication,
  UserAuthenticator
} from "./middleware.js"
import { respond } from "./views.js"

const tokenOf = (request: HttpServerRequest.HttpServerRequest, allowBearer: boolean) =>
  agentTokenFromHeaders(
    { agentToken: request.headers["x-agent-token"], authorization: request.headers["authorization"] },
    allowBearer
  )

const userOf = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.flatMap(Effect.service(UserAuthenticator), (authenticator) => authenticator.authenticate(request)).pipe(
    Effect.flatMap((user) =>
      user === undefined ? Effect.fail(new Unauthorized({ detail: reason.unauthorized })) : Effect.succeed(user)
    )
  )

/** Runs an authentication step on the services the middleware layer was built with. */
const servicesOfRequests = Effect.map(
  Effect.context<MissionControlServices | UserAuthenticator>(),
  (services) => <A>(effect: Effect.Effect<A, CoreError, MissionControlServices | UserAuthenticator>) =>
    respond(Effect.provideContext(effect, services))
)

/** Agent-token requests allowed per token by default: the reference's 60 per 60 seconds. */
export const defaultAgentRateLimit: RateLimit = { limit: 60, windowMillis: 60_000 }

/** Characters of a token its rate limit is keyed by: enough to tell agents apart, too few to stand in for it. */
const rateLimitKeyLength = 8

/**
 * Counts a request of an agent token against its limit (429 "Too Many Requests" beyond it), keyed by the token's
 * prefix so that no store ever holds a token.
 */
const agentRateLimiter = (limit: RateLimit | false) =>
  Effect.map(Effect.serviceOption(RateLimitStore), (found) => {
    if (limit === false) return (_token: string) => Effect.void
    const store = Option.getOrElse(found, makeMemoryRateLimitStore)
    return (token: string) =>
      Effect.flatMap(
        store.hit(`agent-token:${token.slice(0, rateLimitKeyLength)}`, limit),
        (decision) =>
          decision.allowed ? Effect.void : Effect.fail(new TooManyRequests({ detail: reason.tooManyRequests }))
      )
  })

/** Options of the authentication middlewares. */
export interface AuthenticationOptions {
  /**
   * Requests per agent token and window (default 60 per 60 s), or `false` for no limit. Counted in the
   * `RateLimitStore` the services provide (the Postgres adapter's shares the limit between processes), else in
   * this process's memory.
   */
  readonly agentRateLimit?: RateLimit | false | undefined
}

/**
 * The three authentication middlewares, on the host's `UserAuthenticator` and the core's agent tokens. They run
 * before the request's path, query and body are decoded: an unauthenticated request is a 401 whatever they hold
 * (the envelope's size, type and nesting checks come before it). Agent tokens are rate limited before they are
 * looked up.
 */
export const layerAuthentication = (options: AuthenticationOptions = {}) =>
  Layer.unwrap(Effect.map(
    agentRateLimiter(options.agentRateLimit ?? defaultAgentRateLimit),
    (limitAgentToken) => {
      const authenticateToken = (token: string | undefined) => {
        const raw = token?.trim() ?? ""
        return raw === "" ? authenticateAgent(token) : Effect.andThen(limitAgentToken(raw), authenticateAgent(raw))
      }
      return middlewares(authenticateToken)
    }
  ))

const middlewares = (
  authenticateToken: (token: string | undefined) => Effect.Effect<Agent, CoreError, MissionControlServices>
) =>
  Layer.mergeAll(
    Layer.effect(
      UserAuthentication,
      Effect.map(
        servicesOfRequests,
        (run) => (httpEffect) =>
          Effect.flatMap(
            Effect.service(Request.HttpServerRequest),
            (request) =>
              Effect.flatMap(run(userOf(request)), (found) => Effect.provideService(httpEffect, CurrentUser, found))
          )
      )
    ),
    Layer.effect(
      AgentAuthentication,
      Effect.map(
        servicesOfRequests,
        (run) => (httpEffect) =>
          Effect.flatMap(Effect.service(Request.HttpServerRequest), (request) =>
            Effect.flatMap(
              run(authenticateToken(tokenOf(request, true))),
              (found) => Effect.provideService(httpEffect, CurrentAgent, found)
            ))
      )
    ),
    Layer.effect(
      ActorAuthentication,
      Effect.map(
        servicesOfRequests,
        (run) => (httpEffect) =>
          Effect.flatMap(Effect.service(Request.HttpServerRequest), (request) => {
            const token = tokenOf(request, false)
            const caller = token !== undefined
              ? Effect.map(authenticateToken(token), Actor.agent)
              : Effect.map(userOf(request), Actor.user)
            return Effect.flatMap(run(caller), (found) => Effect.provideService(httpEffect, CurrentActor, found))
          })
      )
    )
  )
