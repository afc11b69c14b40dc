import { Effect, Layer } from "effect"
import type { HttpServerRequest } from "effect/http"
import { HttpServerRequest as Request } from "effect/http"
import type { CoreError } from "../errors.js"
import { reason, Unauthorized } from "../errors.js"
import { agentTokenFromHeaders, authenticateAgent } from "../programs/agentAuth.js"
import { Actor } from "../programs/common.js"
import type { MissionControlServices } from "../services/MissionControlServices.js"
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

/**
 * The three authentication middlewares, on the host's `UserAuthenticator` and the core's agent tokens. They run
 * before the request's path, query and body are decoded: an unauthenticated request is a 401 whatever they hold
 * (the envelope's size, type and nesting checks come before it).
 */
export const layerAuthentication = Layer.mergeAll(
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
            run(authenticateAgent(tokenOf(request, true))),
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
            ? Effect.map(authenticateAgent(token), Actor.agent)
            : Effect.map(userOf(request), Actor.user)
          return Effect.flatMap(run(caller), (found) => Effect.provideService(httpEffect, CurrentActor, found))
        })
    )
  )
)
