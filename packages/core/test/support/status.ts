import { computedStatus } from "@mission-control/core"
import type { Agent } from "@mission-control/core"
import { DateTime, Effect } from "effect"

/** The status the API shows for the agent now (its computed status at the test clock's time). */
export const shownStatus = (agent: Agent): Effect.Effect<string> =>
  Effect.map(DateTime.now, (now) => computedStatus(agent, now))
