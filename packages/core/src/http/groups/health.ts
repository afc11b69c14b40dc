import { HttpApiGroup } from "effect/http-api"

/** Liveness and readiness probes: no authentication. */
export class HealthGroup extends HttpApiGroup.make("health") {}
