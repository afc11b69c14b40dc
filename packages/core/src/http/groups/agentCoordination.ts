import { HttpApiGroup } from "effect/http-api"
import { AgentAuthentication } from "../middleware.js"

/** Agents coordinating through Mission Control with their token: nudges, souls, questions to the user, leads. */
export class AgentCoordinationGroup extends HttpApiGroup.make("agentCoordination").middleware(AgentAuthentication) {}
