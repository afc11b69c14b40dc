import { HttpApiGroup } from "effect/http-api"
import { UserAuthentication } from "../middleware.js"

/** The gateway operator's routes (`/gateways/status`, sessions, commands), over the gateway client. */
export class GatewaySessionsGroup extends HttpApiGroup.make("gatewaySessions").middleware(UserAuthentication) {}
