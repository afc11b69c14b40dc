import type { Effect } from "effect"
import { Context } from "effect"
import type { HttpServerRequest } from "effect/http"
import { HttpApiMiddleware } from "effect/http-api"
import type { Agent, User } from "../domain/models.js"
import type { CoreError } from "../errors.js"
import type { Actor } from "../programs/common.js"
import { errorResponses } from "./errors.js"

/** The id of the current request: the client's `X-Request-Id` when it sent one, else a fresh one. */
export class RequestId extends Context.Service<RequestId, string>()("@mission-control/core/http/RequestId") {}

/** The user of a user route. */
export class CurrentUser extends Context.Service<CurrentUser, User>()("@mission-control/core/http/CurrentUser") {}

/** The agent of an agent-token route. */
export class CurrentAgent extends Context.Service<CurrentAgent, Agent>()("@mission-control/core/http/CurrentAgent") {}

/** The caller of a route open to users and agents. */
export class CurrentActor extends Context.Service<CurrentActor, Actor>()("@mission-control/core/http/CurrentActor") {}

/**
 * The host's user authentication: the user a request is signed in as, or `undefined` (401). Mission Control keeps no
 * user sessions of its own; the host says who is calling (from its cookie, bearer token, proxy header, …).
 */
export class UserAuthenticator extends Context.Service<UserAuthenticator, {
  readonly authenticate: (
    request: HttpServerRequest.HttpServerRequest
  ) => Effect.Effect<User | undefined, CoreError>
}>()("@mission-control/core/http/UserAuthenticator") {}

/**
 * Every request's envelope, outermost: its id (`X-Request-Id`), the body's content type (415) and size (413), the
 * request's span, and the one mapping from failures (validation, core errors) to the reference's error bodies.
 */
export class RequestEnvelope extends HttpApiMiddleware.Service<RequestEnvelope, { provides: RequestId }>()(
  "@mission-control/core/http/RequestEnvelope",
  { error: errorResponses }
) {}

/** A user route: the host's user, else 401. */
export class UserAuthentication
  extends HttpApiMiddleware.Service<UserAuthentication, { provides: CurrentUser; requires: RequestId }>()(
    "@mission-control/core/http/UserAuthentication",
    { error: errorResponses }
  )
{}

/** An agent-token route: the agent of `X-Agent-Token` (or `Authorization: Bearer`), else 401. */
export class AgentAuthentication
  extends HttpApiMiddleware.Service<AgentAuthentication, { provides: CurrentAgent; requires: RequestId }>()(
    "@mission-control/core/http/AgentAuthentication",
    { error: errorResponses }
  )
{}

/** A route open to both: the agent when the request carries `X-Agent-Token`, else the host's user. */
export class ActorAuthentication
  extends HttpApiMiddleware.Service<ActorAuthentication, { provides: CurrentActor; requires: RequestId }>()(
    "@mission-control/core/http/ActorAuthentication",
    { error: errorResponses }
  )
{}
